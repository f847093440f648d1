import { z } from "zod";

/** Gossip membership between gateway nodes. Owned by the cluster subsystem. */
export const clusterSchema = z.strictObject({}).prefault({});
