// Whether this process can use the native UDP addon, decided at the process boundary (it reads
// DNSBENCH_NO_NATIVE and the platform), and handed to config.ts, which resolves --io with it.
import { loadNativeUdp, type NativeUdpLoad } from '../engine/native/addon.js';

export function nativeUdp(): NativeUdpLoad {
  return loadNativeUdp({ env: process.env, platform: process.platform });
}
