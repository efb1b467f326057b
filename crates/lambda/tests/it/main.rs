//! The function binary behind a real Lambda Runtime API (`csgen_testkit::RuntimeApi`)
//! on 127.0.0.1, writing to moto's S3; the stack template under cfn-lint.

mod firehose;
mod intent;
mod kinesis;
mod support;
mod template;
