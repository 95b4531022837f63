import { Construct } from 'constructs';
import { publicEndpoints } from '../endpoints';
import { NGINX_POD_METRICS } from '../monitoring/nginx-php-fpm';
import { curlConnect } from '../probes/connect';
import { configuredService, StackService, StackServiceContext } from '../stack-service';
import { PhpMyAdmin } from './phpmyadmin';

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
    const endpoints = publicEndpoints(config);
    super(scope, id, {
      ...configuredService(config, 'nginx', 'LoadBalancer'),
      component: 'web',
      ports: [
        { name: 'http', containerPort: 80, servicePort: endpoints.http.port, listenVariable: 'NGINX_HTTP_LISTEN' },
        { name: 'https', containerPort: 443, servicePort: endpoints.https.port, listenVariable: 'NGINX_HTTPS_LISTEN' },
        { name: 'ssh', containerPort: 22, servicePort: endpoints.ssh.port, listenVariable: 'SSH_LISTEN_PORT' },
      ],
      env: {
        SSH_USER: config.ssh.user,
        // The redirects keep the host the client asked for and name the public ports, which the
        // Service may map to other container ports: what follows the host, as the URLs have it.
        HTTPS_PORT_SUFFIX: endpoints.https.portSuffix,
        WORDPRESS_PORT_SUFFIX: endpoints.wordpress.portSuffix,
        PHPMYADMIN_URL: phpMyAdmin.url('https'),
      },
      secrets: [secrets.tls, secrets.sshUser],
      // Without it the image generates a host key, which changes whenever the pod is replaced.
      optionalSecrets: [secrets.sshHostKeys],
      // nginx and sshd both: a TCP check on one port would miss the other (S11).
      liveness: { kind: 'exec', command: ['healthcheck'] },
      replicas: config.replicas.nginx,
      autoscaling: config.autoscaling.nginx,
      // A client stays on one nginx pod, so its /phpmyadmin/ requests leave from one pod address and
      // stay on one phpMyAdmin pod by that Service's affinity (lib/services/phpmyadmin.ts).
      sessionAffinity: true,
      connectsTo: [phpMyAdmin],
      podMetrics: { families: [NGINX_POD_METRICS], scrapedBy: 'telegraf' },
      // The HTTP probes would notice nginx's death; sshd's is the one to prove.
      capabilities: {
        CHOWN: 'set-password rewrites /etc/shadow with its owner and group (chpasswd); serve-metrics hands its state folder to '
          + 'METRICS_USER; nginx\'s master hands its temp folders to its workers\' user (nginx src/core/ngx_file.c '
          + 'ngx_create_paths); sshd hands a login\'s terminal to its user (openssh sshpty.c pty_setowner)',
        SETGID: 'nginx\'s workers, sshd\'s sessions and socat\'s (serve-metrics) connections change to their own groups',
        SETUID: 'nginx\'s workers, sshd\'s sessions and socat\'s (serve-metrics) connections change to their own users',
        NET_BIND_SERVICE: 'nginx listens on 80 and 443, sshd on 22: ports below 1024',
        SYS_CHROOT: 'sshd confines its unauthenticated child to an empty folder (privilege separation, chroot)',
      },
      rootFilesystem: {
        readOnly: false,
        because: 'the entrypoint writes the SSH user\'s account and password into /etc/passwd and /etc/shadow at every start '
          + '(adduser, set-password), and renders nginx\'s and sshd\'s configs into /etc beside the image\'s own files',
      },
      checks: { processToKill: 'sshd', connect: curlConnect, connectAnyPort: true },
    });
  }
}
