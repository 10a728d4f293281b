// Compile contracts/NdrAnchor.sol with solc-js (the pinned npm `solc`) into the ABI and bytecode
// JSON that netretain ships. `node contracts/compile.js` writes it; `--stdout` prints it instead,
// so a test can compare a fresh compile with the committed file. `node contracts/compile.js
// NetretainRewards` does the same for the loyalty rewards token (issue 17).
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const root = path.resolve(__dirname, '..');
const OUTPUTS = {
  NdrAnchor: 'src/netretain/transparency/contract',
  NetretainRewards: 'src/netretain/incentives/contract',
};
const name = process.argv.slice(2).find((a) => !a.startsWith('--')) || 'NdrAnchor';
if (!OUTPUTS[name]) {
  console.error(`unknown contract ${name}: one of ${Object.keys(OUTPUTS).join(', ')}`);
  process.exit(2);
}
const sourcePath = `contracts/${name}.sol`;
const output = path.join(root, OUTPUTS[name], `${name}.json`);
const settings = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
};

function findImport(importPath) {
  const file = path.join(root, 'node_modules', importPath);
  if (!fs.existsSync(file)) return { error: `${importPath} not found: run npm ci` };
  return { contents: fs.readFileSync(file, 'utf8') };
}

const input = {
  language: 'Solidity',
  sources: { [sourcePath]: { content: fs.readFileSync(path.join(root, sourcePath), 'utf8') } },
  settings,
};
const result = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));
const errors = (result.errors || []).filter((e) => e.severity === 'error');
if (errors.length) {
  for (const e of errors) console.error(e.formattedMessage);
  process.exit(1);
}
const contract = result.contracts[sourcePath][name];
const artifact = {
  contractName: name,
  source: sourcePath,
  compiler: { solc: solc.version(), settings: { optimizer: settings.optimizer, evmVersion: settings.evmVersion } },
  abi: contract.abi,
  bytecode: `0x${contract.evm.bytecode.object}`,
  deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
};
const text = `${JSON.stringify(artifact, null, 2)}\n`;
if (process.argv.includes('--stdout')) {
  process.stdout.write(text);
} else {
  fs.writeFileSync(output, text);
  console.error(`wrote ${path.relative(root, output)}`);
}
