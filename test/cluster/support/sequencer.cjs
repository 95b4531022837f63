/**
 * The order of the proofs on the real cluster: each file brings up its own stack and ends with
 * `./setup.sh delete`, on the one cluster of the run, so they run one after the other in this order
 * (jest's default order follows earlier runs' durations and failures, which would change it).
 * stack.test.ts first: it asserts the cluster holds no stack yet and writes figures.md, to which
 * the later files add their figures.
 */
const Sequencer = require('@jest/test-sequencer').default;

const ORDER = ['stack.test.ts', 'k8.test.ts', 'metrics-port.test.ts', 'least-privilege.test.ts'];
const rank = (file) => {
  const index = ORDER.indexOf(require('path').basename(file));
  if (index < 0) throw new Error(`${file}: not in test/cluster/support/sequencer.cjs's ORDER; say where it runs among ${ORDER.join(', ')}`);
  return index;
};

class ClusterOrder extends Sequencer {
  sort(tests) {
    return [...tests].sort((a, b) => rank(a.path) - rank(b.path));
  }
}

module.exports = ClusterOrder;
