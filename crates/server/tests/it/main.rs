//! The control server through real sockets on 127.0.0.1: the limits a careless or
//! hostile client runs into (timeouts, the connection limit, answers nobody reads), the
//! `Host` check, and a graceful shutdown. Limits are small here so that each test takes
//! a second or so.

mod limits;
mod support;
