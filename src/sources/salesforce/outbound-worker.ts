// Worker thread that reads Outbound Messages (outbound-xml.ts), so that parsing a message of up
// to the webhook size cap (tens of ms for 1 MB) never holds up the gateway's event loop.
import { parentPort } from 'node:worker_threads';
import { OutboundXmlError, readOutboundXml } from './outbound-xml.ts';

parentPort!.on('message', (m: { seq: number; xml: string }) => {
  try {
    parentPort!.postMessage({ seq: m.seq, ok: readOutboundXml(m.xml) });
  } catch (e) {
    parentPort!.postMessage({ seq: m.seq, error: e instanceof OutboundXmlError ? e.message : 'outbound message could not be read' });
  }
});
