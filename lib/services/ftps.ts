import { Construct } from 'constructs';
import { publicEndpoints } from '../endpoints';
import { metricSelect, PanelSpec, podMetricsQuery } from '../monitoring/dashboards';
import { counter, gauge, MetricFamily } from '../monitoring/pod-metrics';
import { configuredService, dataVolume, StackService, StackServiceContext } from '../stack-service';

export type FtpsProps = StackServiceContext;

/**
 * vsftpd's own metrics, in the ftps pod, printed by srcs/ftps/collect-metrics: the control
 * connections open now (ESTABLISHED sockets on the control port in the kernel's socket table,
 * health checks' included), and what vsftpd logged since the container started, counted by
 * srcs/ftps/count-vsftpd-log from vsftpd's own log lines (vsftpd logging.c): logins of the FTP
 * user accepted and refused (vsftpd refuses any other user name before a login is attempted, and
 * logs nothing), completed uploads and downloads and their bytes.
 */
export const FTPS_METRICS = {
  sessions: gauge('ftps_sessions'),
  logins: counter('ftps_logins_total'),
  loginFailures: counter('ftps_login_failures_total'),
  uploads: counter('ftps_uploads_total'),
  uploadBytes: counter('ftps_upload_bytes_total'),
  downloads: counter('ftps_downloads_total'),
  downloadBytes: counter('ftps_download_bytes_total'),
} satisfies MetricFamily;

/**
 * vsftpd's metrics (srcs/ftps/collect-metrics): sessions from the kernel's socket table, the
 * rest counted from vsftpd's own log lines by srcs/ftps/count-vsftpd-log.
 */
function ftpsPanels(service: string, namespace: string): PanelSpec[] {
  const m = FTPS_METRICS;
  const perPod = podMetricsQuery(service, namespace);
  return [
    {
      title: 'FTPS sessions',
      description: 'FTP control connections open now, logged in or not (a health check\'s brief one too), counted from '
        + 'the kernel\'s socket table: the ESTABLISHED sockets on vsftpd\'s control port.',
      kind: 'timeseries',
      unit: 'none',
      queries: [{ ...perPod, select: metricSelect(m.sessions), alias: 'open $tag_pod_name' }],
    },
    {
      title: 'FTPS logins',
      description: 'Logins per second of the FTP user that vsftpd accepted, and that it refused for a wrong password, '
        + 'from the OK LOGIN and FAIL LOGIN lines of vsftpd\'s own log. vsftpd refuses any other user name before a '
        + 'password is asked and logs nothing for it, so those attempts are not counted.',
      kind: 'timeseries',
      unit: 'none',
      queries: [
        { ...perPod, select: metricSelect(m.logins), alias: 'accepted $tag_pod_name' },
        { ...perPod, select: metricSelect(m.loginFailures), alias: 'refused $tag_pod_name' },
      ],
    },
    {
      title: 'FTPS transfers',
      description: 'Uploads and downloads per second that vsftpd completed (the OK UPLOAD and OK DOWNLOAD lines of its '
        + 'own log); an aborted transfer is not counted.',
      kind: 'timeseries',
      unit: 'none',
      queries: [
        { ...perPod, select: metricSelect(m.uploads), alias: 'uploads $tag_pod_name' },
        { ...perPod, select: metricSelect(m.downloads), alias: 'downloads $tag_pod_name' },
      ],
    },
    {
      title: 'FTPS bytes transferred',
      description: 'Bytes per second of the completed uploads and downloads, as vsftpd logs each file\'s size when its '
        + 'transfer ends: a long transfer shows all at once, when it completes.',
      kind: 'timeseries',
      unit: 'Bps',
      queries: [
        { ...perPod, select: metricSelect(m.uploadBytes), alias: 'uploaded $tag_pod_name' },
        { ...perPod, select: metricSelect(m.downloadBytes), alias: 'downloaded $tag_pod_name' },
      ],
    },
  ];
}

/**
 * vsftpd with TLS required (S8). Every passive data port is a port of the Service as well as of the
 * container, on the same number, because vsftpd tells clients the port it listens on (its 227
 * reply to PASV), and a Service has single ports, no ranges (core/v1 ServicePort).
 */
export class Ftps extends StackService {
  constructor(scope: Construct, id: string, props: FtpsProps) {
    const { config, secrets } = props;
    const { min, max } = config.ftps.passivePorts;
    const endpoint = publicEndpoints(config).ftps;
    const passive = Array.from({ length: max - min + 1 }, (_, i) => min + i);
    super(scope, id, {
      ...configuredService(config, 'ftps', 'LoadBalancer'),
      component: 'file-transfer',
      ports: [
        { name: 'ftp', containerPort: 21, servicePort: endpoint.port, listenVariable: 'FTPS_LISTEN_PORT' },
        ...passive.map((port) => ({ name: `pasv-${port}`, containerPort: port })),
      ],
      env: {
        FTPS_USER: config.ftps.user,
        FTPS_PASV_ADDRESS: endpoint.host,
        // The passive ports, as a range.
        FTPS_PASV_MIN_PORT: min,
        FTPS_PASV_MAX_PORT: max,
      },
      secrets: [secrets.tls, secrets.ftpsUser],
      volume: dataVolume(config, 'ftps', '/var/lib/ftp'),
      liveness: { kind: 'exec', command: ['healthcheck'] },
      podMetrics: { families: [{ metrics: FTPS_METRICS, panels: ftpsPanels }], scrapedBy: 'telegraf' },
      capabilities: {
        CHOWN: 'set-password rewrites /etc/shadow with its owner and group (chpasswd); the entrypoint hands the FTP user its home '
          + 'on the volume, serve-metrics its state folder to METRICS_USER',
        SETGID: 'vsftpd\'s sessions and socat\'s (serve-metrics) connections change to their own groups',
        SETUID: 'vsftpd\'s sessions and socat\'s (serve-metrics) connections change to their own users',
        NET_BIND_SERVICE: 'vsftpd listens on 21, a port below 1024',
        SYS_CHROOT: 'vsftpd confines each session to a folder (chroot_local_user, secure_chroot_dir)',
      },
      rootFilesystem: {
        readOnly: false,
        because: 'the entrypoint writes the FTP user\'s account and password into /etc/passwd and /etc/shadow at every start '
          + '(adduser, set-password), where PAM reads them, and renders vsftpd\'s config into /etc/vsftpd',
      },
      checks: { processToKill: 'vsftpd' },
    });
  }
}
