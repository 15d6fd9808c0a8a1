// The timers a worker runs on: Node's (millisecond resolution). The native addon's timerfd, when
// it loads, plugs in here for wake-ups precise to tens of microseconds (issue 9's pacing).
import { nodeTimers, type EngineTimers } from './timers.js';

export function engineTimers(): EngineTimers {
  return nodeTimers;
}
