/* The pod sandbox process of the CI cluster (containerd's sandbox_image), in the manner of
 * Kubernetes' build/pause/linux/pause.c: it holds the pod's namespaces, reaps the children it
 * inherits as PID 1, and exits on SIGINT or SIGTERM. It is also the node's PID 1 (.ci/cluster/up). */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int signal_number) { (void)signal_number; _exit(0); }

static void reap(int signal_number) {
  (void)signal_number;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction on_stop = {.sa_handler = stop};
  struct sigaction on_child = {.sa_handler = reap, .sa_flags = SA_NOCLDSTOP};
  sigaction(SIGINT, &on_stop, NULL);
  sigaction(SIGTERM, &on_stop, NULL);
  sigaction(SIGCHLD, &on_child, NULL);
  for (;;) pause();
}
