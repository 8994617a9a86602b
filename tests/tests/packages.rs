//! The Debian packages (scripts/package/build.sh), built from the binaries the tests run, so CI
//! builds no second release: what they hold, that their units pass `systemd-analyze verify`, and
//! that `dpkg -i` into a scratch root (dpkg --root, its maintainer scripts honouring DPKG_ROOT)
//! leaves working binaries, the `tether` user, /var/lib/tether and default configs that load.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tests::process::{binaries, Proc};
use tests::READY;

fn run(command: &mut Command) -> String {
    let out: Output = command.output().expect("run");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{command:?}: {text}");
    text
}

/// Builds both packages into `out`; returns (edge, connector) .deb paths.
fn build(out: &Path) -> (PathBuf, PathBuf) {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let bin_dir = binaries().edge.parent().unwrap();
    let printed = run(Command::new(workspace.join("scripts/package/build.sh"))
        .arg("--bin-dir")
        .arg(bin_dir)
        .arg("--out")
        .arg(out)
        .arg("--fast"));
    let deb = |name: &str| {
        let line = printed
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{printed}"));
        PathBuf::from(line.trim())
    };
    (deb("tether-edge_"), deb("tether-connector_"))
}

/// An empty dpkg database and the accounts files useradd needs, under `root`.
fn scratch_root(root: &Path) {
    for dir in [
        "var/lib/dpkg/info",
        "var/lib/dpkg/updates",
        "var/lib/dpkg/triggers",
        "etc",
    ] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
    }
    for (file, text) in [
        ("var/lib/dpkg/status", ""),
        ("var/lib/dpkg/available", ""),
        ("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
        ("etc/group", "root:x:0:\n"),
        ("etc/shadow", "root:*:19000:0:99999:7:::\n"),
        ("etc/gshadow", "root:*::\n"),
    ] {
        std::fs::write(root.join(file), text).unwrap();
    }
}

/// `unit` checked by systemd-analyze on this host, its binary path moved into `root`.
fn verify(unit: &Path, binary: &str, root: &Path) {
    let text = std::fs::read_to_string(unit).unwrap();
    assert!(text.contains(&format!("ExecStart={binary} ")), "{text}");
    let moved = root.join("verify").join(unit.file_name().unwrap());
    std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
    let inside = format!("{}{binary}", root.display());
    std::fs::write(&moved, text.replace(binary, &inside)).unwrap();
    let said = run(Command::new("systemd-analyze").arg("verify").arg(&moved));
    assert!(
        !said.contains(moved.to_str().unwrap()),
        "warnings about {}: {said}",
        unit.display()
    );
}

#[test]
fn packages_hold_what_users_install_and_dpkg_installs_them_into_a_scratch_root() {
    let dir = tempfile::tempdir().unwrap();
    let (edge_deb, connector_deb) = build(&dir.path().join("debs"));
    let listing = |deb: &Path| run(Command::new("dpkg-deb").arg("--contents").arg(deb));
    let edge_files = listing(&edge_deb);
    for path in [
        "./usr/bin/edge",
        "./usr/bin/dns",
        "./usr/lib/systemd/system/tether-edge.service",
        "./etc/tether/edge.yml",
        "./usr/share/man/man1/edge.1.gz",
        "./usr/share/man/man1/edge-tunnel-create.1.gz",
        "./usr/share/man/man1/dns.1.gz",
        "./usr/share/bash-completion/completions/edge",
        "./usr/share/zsh/vendor-completions/_edge",
        "./usr/share/fish/vendor_completions.d/edge.fish",
        "./usr/share/doc/tether-edge/copyright",
    ] {
        assert!(
            edge_files.contains(path),
            "tether-edge lacks {path}:\n{edge_files}"
        );
    }
    let connector_files = listing(&connector_deb);
    for path in [
        "./usr/bin/connector",
        "./usr/lib/systemd/system/tether-connector.service",
        "./etc/tether/tunnel.yml",
        "./usr/share/man/man1/connector-access-tcp.1.gz",
        "./usr/share/bash-completion/completions/connector",
        "./usr/share/zsh/vendor-completions/_connector",
        "./usr/share/fish/vendor_completions.d/connector.fish",
    ] {
        assert!(
            connector_files.contains(path),
            "tether-connector lacks {path}:\n{connector_files}"
        );
    }
    let field =
        |deb: &Path, name: &str| run(Command::new("dpkg-deb").arg("--field").arg(deb).arg(name));
    assert_eq!(field(&edge_deb, "Package").trim(), "tether-edge");
    assert!(field(&edge_deb, "Depends").contains("passwd"));
    let control = dir.path().join("control");
    run(Command::new("dpkg-deb")
        .arg("--control")
        .arg(&edge_deb)
        .arg(&control));
    let conffiles = std::fs::read_to_string(control.join("conffiles")).unwrap();
    assert_eq!(conffiles.trim(), "/etc/tether/edge.yml");

    // Installed into a scratch root: maintainer scripts run outside it, with DPKG_ROOT set.
    let root = dir.path().join("root");
    scratch_root(&root);
    // As root (scripts/test.sh's way) the scripts also give the tether user what is its own.
    let as_root = run(Command::new("id").arg("-u")).trim() == "0";
    run(Command::new("dpkg")
        .arg(format!("--root={}", root.display()))
        .args(["--force-script-chrootless", "--force-depends"])
        .args((!as_root).then_some("--force-not-root"))
        .arg("-i")
        .arg(&edge_deb)
        .arg(&connector_deb)
        .env("DPKG_ROOT", &root));
    let passwd = std::fs::read_to_string(root.join("etc/passwd")).unwrap();
    let tether = passwd
        .lines()
        .find(|l| l.starts_with("tether:"))
        .unwrap_or_else(|| panic!("{passwd}"));
    assert!(
        tether.ends_with(":/var/lib/tether:/usr/sbin/nologin"),
        "{tether}"
    );
    use std::os::unix::fs::MetadataExt;
    let state = std::fs::metadata(root.join("var/lib/tether")).unwrap();
    let config = std::fs::metadata(root.join("etc/tether/edge.yml")).unwrap();
    assert_eq!(
        (state.mode() & 0o777, config.mode() & 0o777),
        (0o750, 0o640)
    );
    if as_root {
        let uid: u32 = tether.split(':').nth(2).unwrap().parse().unwrap();
        let gid: u32 = tether.split(':').nth(3).unwrap().parse().unwrap();
        assert_eq!((state.uid(), state.gid()), (uid, gid));
        assert_eq!(
            (config.uid(), config.gid()),
            (0, gid),
            "root's, readable by tether"
        );
    }
    for (binary, name) in [("edge", "edge"), ("dns", "dns"), ("connector", "connector")] {
        let version = run(Command::new(root.join("usr/bin").join(binary)).arg("--version"));
        assert!(version.starts_with(&format!("{name} 0.")), "{version}");
    }
    let completion = root.join("usr/share/bash-completion/completions/connector");
    run(Command::new("bash").arg("-n").arg(&completion));

    let units = root.join("usr/lib/systemd/system");
    verify(&units.join("tether-edge.service"), "/usr/bin/edge", &root);
    verify(
        &units.join("tether-connector.service"),
        "/usr/bin/connector",
        &root,
    );

    // The default configs load: the connector's as it is, the edge's once its listen addresses
    // and state-dir are this test's.
    let validated = run(Command::new(root.join("usr/bin/connector"))
        .arg("--config")
        .arg(root.join("etc/tether/tunnel.yml"))
        .args(["ingress", "validate"]));
    assert!(validated.contains("OK: 2 ingress rules"), "{validated}");
    let edge_yml = std::fs::read_to_string(root.join("etc/tether/edge.yml")).unwrap();
    let local = edge_yml
        .replace(
            "/var/lib/tether",
            dir.path().join("state").to_str().unwrap(),
        )
        .replace("0.0.0.0:80\n", "127.0.0.1:0\n")
        .replace("0.0.0.0:443\n", "127.0.0.1:0\n")
        .replace("0.0.0.0:7844\n", "127.0.0.1:0\n")
        .replace("127.0.0.1:9090\n", "127.0.0.1:0\n");
    assert_eq!(local.matches("127.0.0.1:0").count(), 4, "{local}");
    let config = dir.path().join("edge.yml");
    std::fs::write(&config, local).unwrap();
    let mut command = Command::new(root.join("usr/bin/edge"));
    command.arg("--config").arg(&config).arg("run");
    Proc::spawn("edge", command).wait_for("edge ready", READY);
}
