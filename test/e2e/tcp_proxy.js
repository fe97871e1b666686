// A TCP proxy for the failover tests: node tcp_proxy.js TARGET_HOST TARGET_PORT PORT_FILE
// Listens on a free loopback port (written to PORT_FILE) and forwards every connection, byte for
// byte, to TARGET (TLS passes through untouched). The test freezes a controller's connection to the
// API server by stopping this process (SIGSTOP): its connections stay open and new ones are still
// accepted by the kernel, but nothing moves until SIGCONT, when whatever was sent meanwhile is
// delivered late, as over a partitioned and then healed network.
'use strict';
const net = require('net');
const fs = require('fs');

const [targetHost, targetPort, portFile] = process.argv.slice(2);
if (!targetHost || !targetPort || !portFile) {
  process.stderr.write('usage: node tcp_proxy.js TARGET_HOST TARGET_PORT PORT_FILE\n');
  process.exit(2);
}
const server = net.createServer((client) => {
  const upstream = net.connect(Number(targetPort), targetHost);
  client.pipe(upstream);
  upstream.pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
  client.on('close', close);
  upstream.on('close', close);
});
server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(portFile, String(server.address().port));
});
