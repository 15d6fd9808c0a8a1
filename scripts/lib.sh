# Shared by scripts/*.sh (sourced, not run). Expects `set -euo pipefail` in the caller.

# Repo root, whatever the caller's cwd.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# One line per step, so a log shows where time went and where it stopped.
step() { printf '==> %s\n' "$*" >&2; }

# named and knotd live in /usr/sbin, which a non-root PATH often lacks.
export PATH="$PATH:/usr/sbin:/sbin"

# The Debian packages the test suite and the bench need, as "binary:package" pairs. keepalived,
# nsd and ip (iproute2) are for the network-namespace rig (test/support/netns.ts, docs/rig.md).
SYSTEM_DEPS="named:bind9 knotd:knot nsd:nsd dnsdist:dnsdist keepalived:keepalived ip:iproute2 dnsperf:dnsperf dig:bind9-dnsutils chromium:chromium openssl:openssl"

# Prints the packages whose binary is missing (space separated, possibly empty).
missing_packages() {
  local pair out=""
  for pair in $SYSTEM_DEPS; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || out="$out ${pair#*:}"
  done
  printf '%s' "${out# }"
}

# As root: apt-get install whatever is missing (once, and only then apt-get update). Not root: warn.
ensure_system_deps() {
  local missing
  missing=$(missing_packages)
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    printf 'WARNING: missing %s (not root, so not installing): tests needing them will be skipped.\n' "$missing" >&2
    printf '         install with: sudo apt-get install -y --no-install-recommends %s\n' "$missing" >&2
    return 0
  fi
  command -v apt-get >/dev/null 2>&1 || { echo "missing $missing and no apt-get to install them" >&2; return 1; }
  step "install system packages: $missing"
  # Installing bind9/knot/nsd/dnsdist/keepalived would start each daemon with its packaged config
  # (named as a recursive resolver on port 53 that primes from the real root servers, keepalived
  # with whatever /etc/keepalived holds). policy-rc.d exit 101
  # tells invoke-rc.d not to start anything; Docker's Debian images ship one, a bare VM may not.
  local made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  local rc=0
  {
    apt-get update -qq &&
      # $missing unquoted on purpose: one word per package
      # shellcheck disable=SC2086
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
  } || rc=$?
  [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  return "$rc"
}

# npm ci when node_modules is missing or older than package-lock.json (npm rewrites
# node_modules/.package-lock.json on every install, so its mtime is the install's age).
ensure_node_modules() {
  if [ -L "$ROOT/node_modules" ]; then
    # A worktree sharing another tree's install: npm ci would wipe it for everyone using it.
    return 0
  fi
  if [ ! -d "$ROOT/node_modules" ] || [ ! -e "$ROOT/node_modules/.package-lock.json" ] ||
    [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    step "npm ci"
    (cd "$ROOT" && npm ci --no-audit --no-fund)
  fi
}
