/** The baseline of bench:adserver: bare uWebSockets.js answering a constant JSON body. */
import uWS from 'uWebSockets.js';

const port = Number(process.argv[2] ?? 18301);
const body = JSON.stringify({ decision_id: '00000000-0000-0000-0000-000000000000', ttl_seconds: 3600, ads: [{ creative_id: 'cr', size: '320x50', payload: 'https://cdn.example.com/c.png' }] });
uWS.App()
  .get('/*', (res) => {
    res.writeHeader('content-type', 'application/json').end(body);
  })
  .listen('127.0.0.1', port, (s) => console.log(s ? `listening on ${port}` : 'failed'));
