/**
 * A jest reporter that closes every run with the slowest test files and a plain count, so a file
 * that got slow shows in every CI log (the suite's budget is 45 s of wall time on 2 cores).
 */
const path = require('path');

class SlowestFiles {
  constructor(_globalConfig, options = {}) {
    this.count = options.count ?? 5;
  }

  onRunComplete(_contexts, results) {
    const files = results.testResults
      .map((result) => ({ file: path.relative(process.cwd(), result.testFilePath), seconds: (result.perfStats.end - result.perfStats.start) / 1000 }))
      .sort((a, b) => b.seconds - a.seconds);
    const lines = [`slowest test files (of ${files.length}; wall time ${((Date.now() - results.startTime) / 1000).toFixed(1)} s):`];
    for (const { file, seconds } of files.slice(0, this.count)) lines.push(`  ${seconds.toFixed(1).padStart(6)} s  ${file}`);
    const skipped = results.numPendingTests + results.numTodoTests;
    // A file that fails to load counts as a failure too, though it ran no test.
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    lines.push(`jest: ${results.numPassedTests} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
    process.stderr.write(`\n${lines.join('\n')}\n`);
  }
}

module.exports = SlowestFiles;
