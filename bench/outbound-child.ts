// Time to read a 1 MB Salesforce Outbound Message (100 notifications with long field values,
// the webhook body cap), inline and through the worker thread the gateway uses, the longest
// event-loop stall while the worker reads, and the 45,000 × `<sObject ` body of issue 8.
// Prints one JSON line for bench/run.ts.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { buildOutboundEnvelope } from '../src/sandbox/salesforce/outbound.ts';
import { readOutboundXml } from '../src/sources/salesforce/outbound-xml.ts';
import { createOutboundXmlReader } from '../src/sources/salesforce/outbound-reader.ts';

const ORG = '00D5g0000000001AAA';
const body = buildOutboundEnvelope(
  { orgId: ORG, baseUrl: 'https://example.my.salesforce.com', apiVersion: '59.0' },
  'Account',
  Array.from({ length: 100 }, (_, i) => ({ type: 'Account', record: { Id: `001${String(i).padStart(15, '0')}`, Name: `Account ${i} & Co`, Description: 'lorem ipsum '.repeat(800) }, fields: ['Name', 'Description'] }) as never),
  (i) => `04l${String(i).padStart(15, '0')}`,
);
const attack = `<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>${ORG}</OrganizationId>${'<sObject '.repeat(45_000)}`;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const RUNS = 30;

const inline: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t = performance.now();
  readOutboundXml(body);
  inline.push(performance.now() - t);
}
const attackMs: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t = performance.now();
  try {
    readOutboundXml(attack);
  } catch {
    // refused, as it should be
  }
  attackMs.push(performance.now() - t);
}

const reader = createOutboundXmlReader();
await reader.read(body); // start the worker
const loop = monitorEventLoopDelay({ resolution: 1 });
const worker: number[] = [];
loop.enable();
for (let i = 0; i < RUNS; i++) {
  const t = performance.now();
  await reader.read(body);
  worker.push(performance.now() - t);
}
loop.disable();
await reader.close();

console.log(JSON.stringify({ bytes: Buffer.byteLength(body), inlineP50: median(inline), workerP50: median(worker), loopP99Ms: loop.percentile(99) / 1e6, loopMaxMs: loop.max / 1e6, attackP50: median(attackMs), attackBytes: attack.length }));
