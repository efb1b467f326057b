//! nginx (Debian's `nginx-light`) as the web store a browse test or benchmark drives:
//! in the foreground with a configuration of its own in a temporary folder (pid, logs
//! and temp paths there), listening on 127.0.0.1 only, answering the store's paths, and
//! logging each request's path, user agent, referrer, session cookie and status.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::missing;
use crate::server::{free_port, wait_listening};

const NGINX: &str = "/usr/sbin/nginx";

/// One line of the access log.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Access {
    /// Path and query as requested.
    pub uri: String,
    pub user_agent: String,
    /// `-` when the request had none.
    pub referrer: String,
    /// The `csgen_session` cookie, `-` when absent.
    pub session: String,
    pub status: u16,
}

/// A running nginx; stopped (SIGKILL) and its folder removed on drop.
pub struct Nginx {
    child: Option<Child>,
    dir: PathBuf,
    addr: SocketAddr,
}

impl Nginx {
    /// nginx with one worker process (`workers`: more for benchmarks, 0 for `auto`).
    /// Routes: `/api/…` answers 200 with a small page (the store's group and product
    /// pages), `/moved/…` redirects (302) to `/api/…`, anything else is 404.
    /// `None` if nginx is not installed.
    pub fn start(workers: usize) -> Option<Self> {
        if !Path::new(NGINX).is_file() {
            return missing("nginx (Debian package nginx-light)");
        }
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("csgen-nginx-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the nginx folder");
        let d = dir.display();
        let workers = if workers == 0 {
            "auto".to_owned()
        } else {
            workers.to_string()
        };
        let config = format!(
            "daemon off;\n\
             worker_processes {workers};\n\
             pid {d}/nginx.pid;\n\
             error_log {d}/error.log warn;\n\
             events {{ worker_connections 4096; }}\n\
             http {{\n\
               log_format csgen '$request_uri\t$http_user_agent\t$http_referer\t$cookie_csgen_session\t$status';\n\
               access_log {d}/access.log csgen;\n\
               client_body_temp_path {d}/body;\n\
               proxy_temp_path {d}/proxy;\n\
               fastcgi_temp_path {d}/fastcgi;\n\
               uwsgi_temp_path {d}/uwsgi;\n\
               scgi_temp_path {d}/scgi;\n\
               keepalive_requests 1000000;\n\
               server {{\n\
                 listen 127.0.0.1:{port};\n\
                 location /api/ {{ default_type text/html; return 200 \"<!doctype html><title>csgen test store</title><p>a page of the store</p>\\n\"; }}\n\
                 location /moved/ {{ rewrite ^/moved/(.*)$ /api/$1 redirect; }}\n\
                 location / {{ return 404; }}\n\
               }}\n\
             }}\n"
        );
        let conf = dir.join("nginx.conf");
        std::fs::write(&conf, config).expect("write nginx.conf");
        let mut child = Command::new(NGINX)
            .arg("-p")
            .arg(&dir)
            .arg("-e")
            .arg(dir.join("error.log"))
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start nginx");
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        wait_listening(addr, &mut child);
        Some(Self {
            child: Some(child),
            dir,
            addr,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request logged so far (nginx writes a line when a request ends).
    pub fn access_log(&self) -> Vec<Access> {
        let text = std::fs::read_to_string(self.dir.join("access.log")).unwrap_or_default();
        text.lines()
            .map(|line| {
                let f: Vec<&str> = line.split('\t').collect();
                assert_eq!(f.len(), 5, "access log line {line:?}");
                Access {
                    uri: f[0].to_owned(),
                    user_agent: f[1].to_owned(),
                    referrer: f[2].to_owned(),
                    session: f[3].to_owned(),
                    status: f[4].parse().expect("a status"),
                }
            })
            .collect()
    }
}

impl Drop for Nginx {
    /// SIGTERM (nginx's fast shutdown: the master stops its workers too), then SIGKILL
    /// if it is not gone within 5 s.
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
            while matches!(child.try_wait(), Ok(None)) && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
