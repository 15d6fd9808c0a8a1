import type { RawServeOptions } from '../cli.js';
import type { Console } from './console.js';
export async function serveCommand(_o: RawServeOptions, _c: Console): Promise<number> { return 0; }
