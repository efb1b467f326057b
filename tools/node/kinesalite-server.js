// Starts kinesalite on 127.0.0.1 only (its stock CLI binds every interface).
// Usage: node kinesalite-server.js PORT [DATA_DIR]
// PORT 0 picks a free port. With DATA_DIR the streams persist on disk (LevelDB), so a
// killed and restarted server still has what it acknowledged. Prints "listening PORT".
'use strict';
const kinesalite = require('kinesalite');
const port = parseInt(process.argv[2] || '0', 10);
const path = process.argv[3];
const server = kinesalite({
  path: path || undefined,
  createStreamMs: 0,
  deleteStreamMs: 0,
  updateStreamMs: 0,
  shardLimit: 100,
});
server.listen(port, '127.0.0.1', () => {
  console.log('listening ' + server.address().port);
});
process.on('SIGTERM', () => process.exit(0));
