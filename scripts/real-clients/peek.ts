import { readAllImap } from '../../test/harness/mailPeers.js';
const all = await readAllImap(process.argv[2]!);
console.log(all.length); console.log(all[all.length - 1]!.toString());
