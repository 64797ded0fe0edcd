"""The Debian package (deploy/, issue 10 item 1): CPack builds it from the build tree; its files,
conffiles, maintainer scripts and dependencies are as documented; systemd accepts its units; and
the packaged binary starts with the packaged configuration (standalone) and serves."""
import os
import select
import shutil
import subprocess
import tempfile
import time

import pytest
import requests

from conftest import BUILD_DIR

COMMAND_TIMEOUT_S = 300
START_TIMEOUT_S = 30


@pytest.fixture(scope="module")
def package():
    workdir = tempfile.mkdtemp(prefix="ecf-package-")
    subprocess.run(["cpack", "-G", "DEB", "-B", workdir, "--config",
                    os.path.join(BUILD_DIR, "CPackConfig.cmake")],
                   check=True, capture_output=True, timeout=COMMAND_TIMEOUT_S)
    debs = [f for f in os.listdir(workdir) if f.endswith(".deb")]
    assert len(debs) == 1, os.listdir(workdir)
    root = os.path.join(workdir, "root")
    subprocess.run(["dpkg-deb", "-x", os.path.join(workdir, debs[0]), root], check=True,
                   timeout=COMMAND_TIMEOUT_S)
    control = os.path.join(workdir, "control")
    subprocess.run(["dpkg-deb", "-e", os.path.join(workdir, debs[0]), control], check=True,
                   timeout=COMMAND_TIMEOUT_S)
    yield {"deb": os.path.join(workdir, debs[0]), "root": root, "control": control,
           "workdir": workdir}
    shutil.rmtree(workdir, ignore_errors=True)


def test_the_package_holds_binaries_configuration_and_units(package):
    listing = subprocess.run(["dpkg-deb", "-c", package["deb"]], check=True, capture_output=True,
                             text=True, timeout=COMMAND_TIMEOUT_S).stdout
    for path in ["./usr/bin/ecf", "./usr/bin/ecf-runtime",
                 "./etc/cognit-edge_cluster_frontend.conf", "./etc/cognit-ecf-runtime.env",
                 "./lib/systemd/system/cognit-ecf.service",
                 "./lib/systemd/system/cognit-ecf-runtime@.service",
                 "./usr/share/doc/cognit-ecf/README.md"]:
        assert path in listing, path
    # The runtime's environment file holds the broker password: never world-readable.
    env_line = next(line for line in listing.splitlines() if "cognit-ecf-runtime.env" in line)
    assert env_line.startswith("-rw-------"), env_line


def test_control_declares_conffiles_scripts_and_shared_library_dependencies(package):
    with open(os.path.join(package["control"], "conffiles")) as f:
        conffiles = f.read().split()
    assert conffiles == ["/etc/cognit-edge_cluster_frontend.conf", "/etc/cognit-ecf-runtime.env"]
    for script in ["postinst", "postrm"]:
        assert os.access(os.path.join(package["control"], script), os.X_OK)
    depends = subprocess.run(["dpkg-deb", "-f", package["deb"], "Depends"], check=True,
                             capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S).stdout
    # From dpkg-shlibdeps: the C library and the broker client at least; and adduser.
    for name in ["libc6", "librabbitmq4", "adduser"]:
        assert name in depends, depends


def test_systemd_accepts_the_units(package):
    host_units = "/lib/systemd/system"
    if shutil.which("systemd-analyze") is None or not os.path.exists(
            os.path.join(host_units, "sysinit.target")):
        pytest.skip("systemd is not installed")
    # The package's files in a root of their own, with what the units rely on from the
    # machine: systemd's own units (targets) and /bin/kill (ExecReload).
    root = os.path.join(package["workdir"], "verify-root")
    shutil.copytree(package["root"], root, symlinks=True)
    units = os.path.join(root, "lib", "systemd", "system")
    shutil.copytree(host_units, units, symlinks=True, dirs_exist_ok=True,
                    ignore=lambda folder, names: [n for n in names if n.startswith("cognit-")])
    os.makedirs(os.path.join(root, "bin"), exist_ok=True)
    shutil.copy("/bin/kill", os.path.join(root, "bin", "kill"))
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", "--root=" + root,
         os.path.join(units, "cognit-ecf.service"),
         os.path.join(units, "cognit-ecf-runtime@.service")],
        capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_packaged_binary_serves_with_the_packaged_configuration(package, rabbitmq):
    root = package["root"]
    data_dir = os.path.join(package["workdir"], "data")
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "ECF_HOST": "127.0.0.1",
           "ECF_PORT": "0", "ECF_DATA_DIR": data_dir, "ECF_BROKER": rabbitmq.original_url}
    log = open(os.path.join(package["workdir"], "ecf.log"), "w")
    process = subprocess.Popen(
        [os.path.join(root, "usr", "bin", "ecf"), "serve", "--config",
         os.path.join(root, "etc", "cognit-edge_cluster_frontend.conf")],
        env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        line = ""
        deadline = time.monotonic() + START_TIMEOUT_S
        while not line and time.monotonic() < deadline and process.poll() is None:
            ready, _, _ = select.select([process.stdout], [], [], 0.2)
            if ready:
                line = process.stdout.readline().strip()
        assert "listening on " in line, open(log.name).read()
        url = line.split("listening on ")[1].split(" ")[0]
        assert "standalone" in line
        assert requests.get(url + "/v1/public_key", timeout=10).status_code == 200
        # Ready once the broker is connected: bounded wait, the connection is being made.
        deadline = time.monotonic() + START_TIMEOUT_S
        reply = requests.get(url + "/readyz", timeout=10)
        while reply.status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
            reply = requests.get(url + "/readyz", timeout=10)
        assert reply.status_code == 200, reply.text
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
