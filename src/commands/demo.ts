import type { RawDemoOptions } from '../cli.js';
import type { Console } from './console.js';
export async function demoCommand(_o: RawDemoOptions, _c: Console): Promise<number> { return 0; }
