#!/usr/bin/env bun
import { runCli } from "./cli/main.ts";

await runCli(process.argv);
