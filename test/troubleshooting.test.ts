/**
 * The README's troubleshooting advice works on the platforms it names.
 */
import * as fs from 'fs';
import * as path from 'path';

const README = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
const macos = README.split('\n- ').find((item) => item.startsWith('**macOS'))!;

test('S4 on macOS the README sends users to a VM driver and does not advise `minikube tunnel`, which rewrites the address to 127.0.0.1', () => {
  // minikube pkg/minikube/tunnel/kic/ssh_tunnel.go (startConnection): for each LoadBalancer Service
  // the docker driver's tunnel runs `ssh -L port:ClusterIP:port` on the host and calls
  // PatchServiceIP(…, "127.0.0.1"), so the Services no longer show MetalLB's one address.
  expect(macos).toContain('FT_MINIKUBE_DRIVER=vfkit ./setup.sh');
  expect(macos).not.toMatch(/keep\s+`minikube tunnel`\s+running/);
  expect(macos).toMatch(/`minikube tunnel` is no way around it/);
  expect(macos).toContain('127.0.0.1');
});
