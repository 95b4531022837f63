/**
 * The contract between each service's module (lib/services/<name>.ts) and its image (srcs/<name>/):
 * every port the image listens on is one the module declares, and the chart tells the image where
 * to listen, so a port moved in the module moves the image, the Service, the probes, the policies
 * and the clients together (S2, K3, B8).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject } from 'cdk8s';
import { StackService } from '../lib/stack-service';
import { stackServices } from './support/model';

const SRCS = path.resolve(__dirname, '..', 'srcs');
const services = stackServices();

/** The ports of the Dockerfile's EXPOSE lines: what the image says it listens on. */
function exposed(service: string): number[] {
  const dockerfile = fs.readFileSync(path.join(SRCS, service, 'Dockerfile'), 'utf8');
  return [...dockerfile.matchAll(/^EXPOSE\s+(.+)$/gm)].flatMap((match) => match[1].trim().split(/\s+/).map((port) => Number(port.replace(/\/tcp$/, ''))));
}

/** The Dockerfile's last USER, or root when it has none. */
function imageUser(service: string): string {
  const users = [...fs.readFileSync(path.join(SRCS, service, 'Dockerfile'), 'utf8').matchAll(/^USER\s+(\S+)\s*$/gm)].map((match) => match[1]);
  return users[users.length - 1] ?? 'root';
}

/** The value the chart gives the container's variable `name`. */
function envOf(service: StackService, name: string): string | undefined {
  return service.container.env.variables[name]?.value;
}

/** The files of the ConfigMaps the service mounts, as synthesized. */
function configFiles(service: StackService): string[] {
  return service.node.findAll().filter((node): node is ApiObject => node instanceof ApiObject && node.kind === 'ConfigMap')
    .flatMap((configMap) => Object.values((configMap.toJson() as { data?: Record<string, string> }).data ?? {}));
}

/** A range of ports the chart passes as `<X>_MIN_PORT` and `<X>_MAX_PORT` (ftps' passive ports). */
function passedRanges(service: StackService): Array<{ min: number; max: number }> {
  return Object.keys(service.container.env.variables).filter((name) => name.endsWith('_MIN_PORT')).map((name) => ({
    min: Number(envOf(service, name)),
    max: Number(envOf(service, name.replace(/_MIN_PORT$/, '_MAX_PORT'))),
  }));
}

describe.each(services.map((service) => [service.name, service] as const))('S2 K3 the %s module and its image', (name, service) => {
  test('S2 K3 every port the Dockerfile EXPOSEs is a container port of the module, and every port of the module is EXPOSEd or passed as a range', () => {
    const declared = service.ports.map((port) => port.containerPort);
    const inRange = (port: number) => passedRanges(service).some(({ min, max }) => port >= min && port <= max);
    expect(exposed(name).filter((port) => !declared.includes(port))).toEqual([]);
    expect(declared.filter((port) => !exposed(name).includes(port) && !inRange(port))).toEqual([]);
  });

  test('B15 the image starts as the user the chart runs it as: root for an entrypoint that drops privileges, else the same numeric user and group', () => {
    const { runAs } = service;
    expect(imageUser(name)).toBe(runAs === 'root' ? 'root' : `${runAs.user}:${runAs.group}`);
  });

  test('S2 K3 the chart tells the image each port it listens on: the variable the image reads, set to the module\'s port', () => {
    for (const { listenVariable, containerPort } of service.ports.filter((port) => port.listenVariable !== undefined)) {
      expect({ [listenVariable!]: envOf(service, listenVariable!) }).toEqual({ [listenVariable!]: String(containerPort) });
    }
    const others = service.ports.filter((port) => port.listenVariable === undefined).map((port) => port.containerPort);
    // A port without a variable of its own lies in a range the chart passes, or is written into a
    // config file the chart generates (telegraf's health port).
    const passed = others.filter((port) => passedRanges(service).some(({ min, max }) => port >= min && port <= max)
      || configFiles(service).some((file) => file.includes(`:${port}"`)));
    expect(passed).toEqual(others);
  });
});

const listening = services.flatMap((service) => service.ports.filter((port) => port.listenVariable !== undefined)
  .map((port) => [service.name, port.listenVariable!, port.containerPort] as const));

test.each(listening)('S2 K3 the %s entrypoint reads %s, and its default is the module\'s port %i, which the Dockerfile EXPOSEs', (name, variable, port) => {
  const entrypoint = fs.readFileSync(path.join(SRCS, name, 'entrypoint.sh'), 'utf8');
  expect(new RegExp(`\\$\\{${variable}:-(\\d+)\\}`).exec(entrypoint)?.[1]).toBe(String(port));
  expect(exposed(name)).toContain(port);
});
