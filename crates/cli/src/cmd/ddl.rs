//! `csgen ddl`: the Glue/Athena table for a lake.

use crate::args::DdlArgs;

pub fn run(a: DdlArgs) -> anyhow::Result<()> {
    print!("{}", csgen_pipeline::ddl::create_table(&a.lake, &a.table));
    Ok(())
}
