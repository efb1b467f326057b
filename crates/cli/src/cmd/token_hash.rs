//! `csgen token-hash`: turn a token into the config line that stores only its digest.

use std::io::BufRead;

use crate::UsageError;

pub fn run() -> anyhow::Result<()> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let token = line.trim_end_matches(['\r', '\n']);
    if token.is_empty() {
        return Err(UsageError("no token on stdin: type the token, then Enter".into()).into());
    }
    println!("{}", csgen_server::auth::config_line(token));
    Ok(())
}
