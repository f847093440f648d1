/** Datagram counters for the admin listener and alerts (a rising `forged` is a wrong key). */
export interface ClusterStats {
  datagramsSent: number;
  bytesSent: number;
  sendErrors: number;
  datagramsReceived: number;
  bytesReceived: number;
  accepted: number;
  /** Dropped, by reason. */
  malformed: number;
  forged: number;
  foreignCluster: number;
  replayed: number;
  stale: number;
  fromSelf: number;
  /** Dropped by the test fault switch. */
  faultDropped: number;
  broadcastsSent: number;
  broadcastsDelivered: number;
  broadcastsDuplicate: number;
  probesSent: number;
  indirectProbesSent: number;
}

export function createClusterStats(): ClusterStats {
  return {
    datagramsSent: 0,
    bytesSent: 0,
    sendErrors: 0,
    datagramsReceived: 0,
    bytesReceived: 0,
    accepted: 0,
    malformed: 0,
    forged: 0,
    foreignCluster: 0,
    replayed: 0,
    stale: 0,
    fromSelf: 0,
    faultDropped: 0,
    broadcastsSent: 0,
    broadcastsDelivered: 0,
    broadcastsDuplicate: 0,
    probesSent: 0,
    indirectProbesSent: 0,
  };
}
