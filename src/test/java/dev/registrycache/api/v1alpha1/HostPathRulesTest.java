package dev.registrycache.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which node directories a cache pod may be given to write. */
class HostPathRulesTest {
  @ParameterizedTest
  @ValueSource(strings = {"/var/lib/registry-cache", "/data", "/mnt/disk1/cache", "/var/tmp/registry-cache-e2e-1",
      "/var/lib/rancher/cache"})
  void storageWherePeopleKeepData(String path) {
    assertEquals(Optional.empty(), HostPathRules.storageProblem(path));
  }

  @ParameterizedTest
  @ValueSource(strings = {"/", "/etc", "/etc/cache", "/var", "/var/lib", "/var/lib/kubelet", "/var/lib/kubelet/pods",
      "/proc", "/proc/1", "/usr/local/cache", "/root", "/var/lib/../../etc", "/var/lib/./x", "var/lib/x", "/data/",
      "/data//x", "/var/log/cache", "/var/lib/etcd", "/run/cache"})
  void storageNeverInOrAroundSystemDirectories(String path) {
    assertTrue(HostPathRules.storageProblem(path).isPresent(), path);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/etc/containerd/certs.d", "/etc/containerd-kit/certs.d",
      "/var/lib/rancher/k3s/agent/etc/containerd/certs.d"})
  void containerdMirrorDirectories(String path) {
    assertEquals(Optional.empty(), HostPathRules.configDirProblem(path, false));
    assertTrue(HostPathRules.configDirProblem(path, true).orElseThrow().contains("registries.conf.d"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"/certs.d", "/etc", "/etc/kubernetes/certs.d", "/etc/systemd/system/certs.d",
      "/var/lib/kubelet/certs.d", "/etc/containerd", "/proc/certs.d", "/etc/ssl/certs.d"})
  void notAContainerdMirrorDirectory(String path) {
    assertTrue(HostPathRules.configDirProblem(path, false).isPresent(), path);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/etc/containers/registries.conf.d", "/usr/local/etc/containers/registries.conf.d"})
  void crioDropInDirectories(String path) {
    assertEquals(path.startsWith("/usr/") ? "is inside /usr, a system directory"
        : null, HostPathRules.configDirProblem(path, true).orElse(null));
  }
}
