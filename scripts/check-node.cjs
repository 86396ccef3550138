// Run before `npm install`, `npm start` and `npm test` (package.json's preinstall, prestart and
// pretest): on a Node older than the app needs, one line saying so instead of an error from deep
// inside ("bad option: --experimental-strip-types", "Map.groupBy is not a function").
// Plain ES5 CommonJS on purpose, so that any Node that can start parses it.
var required = [22, 12];
var version = process.versions.node;
var parts = version.split('.');
var major = Number(parts[0]);
var minor = Number(parts[1]);
if (major < required[0] || (major === required[0] && minor < required[1])) {
  console.error('verify-signin needs Node.js ' + required.join('.') + ' or newer (.nvmrc names 24); this is Node ' + version + ' (' + process.execPath + ').');
  process.exit(1);
}
