//! A real HTTP proxy: Debian's squid, with basic authentication, on a port of 127.0.0.1, allowing
//! CONNECT to any port for the user it is given, and logging each request to `access.log`.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use crate::ports::free_port;
use crate::process::Proc;
use crate::READY;

/// A squid run by the test (killed on drop).
pub struct Squid {
    pub port: u16,
    dir: tempfile::TempDir,
    _proc: Proc,
}

/// squid's helper that checks basic credentials against an htpasswd file.
const NCSA_AUTH: &str = "/usr/lib/squid/basic_ncsa_auth";

impl Squid {
    /// Starts squid accepting `user`/`password` and waits until it listens.
    pub fn start(user: &str, password: &str) -> Squid {
        let dir = tempfile::tempdir().expect("squid dir");
        // squid drops to its own user, which must read the config and write the logs.
        set_mode(&dir.path().to_path_buf(), 0o777);
        let passwd = dir.path().join("passwd");
        let made = Command::new("htpasswd")
            .args(["-b", "-c", "-B"])
            .arg(&passwd)
            .args([user, password])
            .output()
            .expect("run htpasswd (apt-get install apache2-utils)");
        assert!(made.status.success(), "htpasswd: {made:?}");
        set_mode(&passwd, 0o644);
        let port = free_port();
        let d = dir.path().display();
        let conf = dir.path().join("squid.conf");
        std::fs::write(
            &conf,
            format!(
                "http_port 127.0.0.1:{port}
pid_filename {d}/squid.pid
cache_log stdio:{d}/cache.log
access_log stdio:{d}/access.log
cache deny all
shutdown_lifetime 0 seconds
auth_param basic program {NCSA_AUTH} {d}/passwd
auth_param basic realm tether-test
acl authed proxy_auth REQUIRED
http_access allow authed
http_access deny all
"
            ),
        )
        .expect("write squid.conf");
        set_mode(&conf, 0o644);
        let mut command = Command::new("squid");
        command.arg("-N").arg("-f").arg(&conf);
        let proc = Proc::spawn("squid", command);
        // squid says nothing on stdout when it is up: wait until it listens.
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < READY, "squid does not listen");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Squid {
            port,
            dir,
            _proc: proc,
        }
    }

    /// The proxy's URL with these credentials.
    pub fn url(&self, user: &str, password: &str) -> String {
        format!("http://{user}:{password}@127.0.0.1:{}", self.port)
    }

    /// What squid has logged of the requests it handled (squid writes a line once a request has
    /// ended: a tunnel's line comes when it closes).
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default()
    }
}

impl Squid {
    /// Waits until squid has logged a line holding every one of `needles`; returns it.
    pub fn wait_logged(&self, needles: &[&str]) -> String {
        let started = Instant::now();
        loop {
            let log = self.access_log();
            if let Some(line) = log.lines().find(|l| needles.iter().all(|n| l.contains(n))) {
                return line.to_string();
            }
            assert!(
                started.elapsed() < READY,
                "squid logged no line with {needles:?}: {log}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

fn set_mode(path: &PathBuf, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}
