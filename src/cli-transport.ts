// The run flags for transports, TSIG and EDNS extras (dnsperf's -m, -y, -O doh-uri/doh-method/
// tls-sni; --tcp-fallback, --ecs, --nsid, --edns-size). Kept apart from cli.ts so each group of
// flags lives beside its own validation (transport-config.ts).
import { Option, type Command } from 'commander';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function addTransportOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-m, --mode <mode>', 'transport: udp, tcp, dot (DNS over TLS) or doh (DNS over HTTPS) (default: udp)'))
    .option('--tcp-fallback', 'over UDP, retry a TC=1 answer over TCP and time the whole resolution')
    .option('-y, --tsig <[alg:]name:secret>', 'sign queries with TSIG (hmac-md5 default; hmac-sha1, -sha224, -sha256, -sha384, -sha512) and verify answers')
    .option('--edns-size <n>', 'EDNS UDP payload size, 512..65535 (implies -e; default with -e: 4096)')
    .option('--ecs <subnet[,subnet...]>', 'EDNS client subnet, rotated over the queries (query i gets subnet i mod k); repeatable', collect)
    .option('--nsid', 'ask for the server identity (NSID) and count answers per identity')
    .option('--tls-ca <file>', 'DoT/DoH: trust the CA certificate(s) in this PEM file')
    .option('--tls-sni <name>', 'DoT/DoH: server name for SNI and the certificate check')
    .option('--insecure', 'DoT/DoH: do not verify the server certificate')
    .option('--doh-uri <path|url>', 'DoH: request path or https:// URL (default: /dns-query)')
    .option('--doh-method <method>', 'DoH: GET or POST (default: GET, as dnsperf)')
    .option(
      '-O, --dnsperf-option <name=value>',
      "dnsperf's -O: doh-uri=, doh-method=, tls-sni= set the flags above; suppress=... is accepted (those messages are never printed); repeatable",
      collect,
    );
}

export const TRANSPORT_EXAMPLES = `
  dnsbench -s 127.0.0.1 -d q.txt -l 10 -y hmac-sha256:chinanet:kve3QMmhjXGZUZURb6mucQ==
      TSIG-signed queries (a BIND view matched by key); the secret never appears in any output
  dnsbench -s 127.0.0.1 -d q.txt -l 10 -a 127.28.1.5,127.28.1.6 -c 4
      send from two local addresses (views matched by client address), spread over 4 sockets
  dnsbench -s 127.0.0.1 -d q.txt -l 10 -m tcp -c 8 -q 400
      TCP, 8 connections with pipelined queries; prints dnsperf's connection statistics
  dnsbench -s 127.0.0.1 -d q.txt -l 10 -m doh --tls-ca ca.pem --tls-sni dns.example --doh-method POST
      DNS over HTTPS (HTTP/2), certificate checked against ca.pem
  dnsbench -s 127.0.0.1 -d q.txt -l 10 --tcp-fallback --ecs 198.51.100.0/24,203.0.113.0/24 --nsid
      retry truncated answers over TCP, rotate client subnets, count answers per server identity`;
