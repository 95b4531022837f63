import { Construct } from 'constructs';
import { publicEndpoints } from './endpoints';
import { configuredService, dataVolume, StackService, StackServiceContext } from './stack-service';

export type FtpsProps = StackServiceContext;

/** vsftpd's control port in the container, told to the image as FTPS_LISTEN_PORT. */
const CONTROL_PORT = 21;

/**
 * vsftpd with TLS required (S8). Every passive data port is a port of the Service as well as of the
 * container, on the same number, because vsftpd tells clients the port it listens on (pitfall 4).
 */
export class Ftps extends StackService {
  constructor(scope: Construct, id: string, props: FtpsProps) {
    const { config, secrets } = props;
    const { min, max } = config.ftps.passivePorts;
    const endpoint = publicEndpoints(config).ftps;
    const passive = Array.from({ length: max - min + 1 }, (_, i) => min + i);
    super(scope, id, {
      ...configuredService(config, 'ftps'),
      component: 'file-transfer',
      ports: [
        { name: 'ftp', containerPort: CONTROL_PORT, servicePort: endpoint.port },
        ...passive.map((port) => ({ name: `pasv-${port}`, containerPort: port })),
      ],
      env: {
        FTPS_USER: config.ftps.user,
        FTPS_LISTEN_PORT: CONTROL_PORT,
        FTPS_PASV_ADDRESS: endpoint.host,
        FTPS_PASV_MIN_PORT: min,
        FTPS_PASV_MAX_PORT: max,
      },
      secrets: [secrets.tls, secrets.ftpsUser],
      volume: dataVolume(config, 'ftps', '/var/lib/ftp'),
      liveness: { kind: 'exec', command: ['healthcheck'] },
    });
  }
}
