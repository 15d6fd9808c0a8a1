// "host:port" as every output prints an endpoint: IPv6 addresses in brackets (RFC 3986 3.2.2),
// so the port cannot be mistaken for part of the address. The one place this is formatted.

/** "192.0.2.1:53", "[2001:db8::1]:53". */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
