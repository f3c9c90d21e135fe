import { Channel, Region } from "sabre";
import { Packr } from "msgpackr";
const region = Region.create({ size: 8 << 20 });
const ch = Channel.create(region, { capacity: 1024, bufferBytes: 1 << 20 });
const raw = Channel.create(region, { capacity: 1024, bufferBytes: 1 << 20, codec: "raw" });
const obj = (id) => ({ id, name: "item", values: [id, id + 1, id + 2, id + 3] });
const objs = Array.from({ length: 1000 }, (_, i) => obj(i));
const packr = new Packr({ useRecords: true });
const bytes = packr.pack(objs[5]);
function time(label, f) {
  for (let w = 0; w < 50; w++) f();
  const t0 = performance.now();
  const R = 300;
  for (let r = 0; r < R; r++) f();
  console.log(label, ((performance.now() - t0) * 1e6 / (R * 1000)).toFixed(0), "ns/msg");
}
time("send+recv msgpack", () => { for (let i = 0; i < 1000; i++) ch.send(objs[i]); for (let i = 0; i < 1000; i++) ch.recv(); });
time("sendMany+recv msgpack", () => { ch.sendMany(objs); for (let i = 0; i < 1000; i++) ch.recv(); });
time("send+recv raw (bytes)", () => { for (let i = 0; i < 1000; i++) raw.send(bytes); for (let i = 0; i < 1000; i++) raw.recv(); });
time("msgpackr pack+unpack (records)", () => { for (let i = 0; i < 1000; i++) packr.unpack(packr.pack(objs[i])); });
time("JSON stringify+parse", () => { for (let i = 0; i < 1000; i++) JSON.parse(JSON.stringify(objs[i])); });
