import { Construct } from 'constructs';
import { PhpMyAdmin } from './phpmyadmin';
import { StackService, StackServiceContext } from './stack-service';

export interface NginxProps extends StackServiceContext {
  /** Served as a reverse proxy under /phpmyadmin/. */
  readonly phpMyAdmin: PhpMyAdmin;
}

/**
 * The front door (S7): 80 redirects to 443, /wordpress redirects to WordPress's own port,
 * /phpmyadmin/ is a reverse proxy, and sshd answers on 22 in the same container.
 */
export class Nginx extends StackService {
  constructor(scope: Construct, id: string, props: NginxProps) {
    const { config, secrets, phpMyAdmin } = props;
    super(scope, id, {
      config,
      name: 'nginx',
      component: 'web',
      ports: [
        { name: 'http', containerPort: 80, servicePort: config.ports.http },
        { name: 'https', containerPort: 443, servicePort: config.ports.https },
        { name: 'ssh', containerPort: 22, servicePort: config.ports.ssh },
      ],
      exposure: 'LoadBalancer',
      env: {
        SSH_USER: config.ssh.user,
        // The redirects name the public ports, which the Service may map to other container ports.
        HTTPS_PORT: config.ports.https,
        WORDPRESS_PORT: config.ports.wordpress,
        PHPMYADMIN_URL: phpMyAdmin.url('https'),
      },
      secrets: [secrets.tls, secrets.sshUser],
      // Without it the image generates a host key, which changes whenever the pod is replaced.
      optionalSecrets: [secrets.sshHostKeys],
      // nginx and sshd both: a TCP check on one port would miss the other (S11).
      liveness: { kind: 'exec', command: ['healthcheck'] },
      replicas: config.replicas.nginx,
    });
  }
}
