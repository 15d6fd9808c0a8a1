import { readFileSync } from 'node:fs';

// Read from package.json (two levels up from both src/ and dist/) so there is one version string.
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
