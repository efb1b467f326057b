//! A lake opened for SQL: the Parquet files under `{root}/events/dt=…/hour=…/` as the
//! DataFusion table `events`, with the partition columns `dt` (DATE) and `hour` (INT)
//! read from the path, as DuckDB's `hive_partitioning` types them; and the catalog
//! under `{root}/products/` as the table `products` (empty in a lake without one).
//!
//! A filter on `dt`/`hour` prunes the listing: `WHERE dt = DATE '2026-11-01' AND
//! hour = 7` reads that hour's files only (see [`table`] for why `hour` needs help).
//! Only `*.parquet` files are part of the table: the writer's in-progress files are
//! hidden `.part-….parquet.{uuid}.tmp` names beside their target (local) or live under
//! `_csgen/staging/` (both), so a reader never sees a partial file.

mod table;

use std::path::Path;
use std::sync::Arc;

use csgen_pipeline::lake::Store;
use csgen_pipeline::{AwsSettings, LakeSpec};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::TableProvider;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::execution::cache::cache_manager::CacheManagerConfig;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::prelude::{DataFrame, SessionConfig, SessionContext};
use futures_util::TryStreamExt as _;
use object_store::ObjectStore;
use object_store::path::Path as ObjectPath;

use crate::error::AnalyticsError;
use crate::range::TimeRange;

pub use table::EventsTable;

/// The table every query and report reads.
pub const TABLE: &str = "events";

/// The catalog's table (`products/`, written by the realistic model).
pub const PRODUCTS: &str = "products";

/// One committed event file of the lake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFile {
    /// Path relative to the lake root: `events/dt=2026-11-01/hour=07/part-….parquet`.
    pub path: String,
    /// The partition, `dt=2026-11-01/hour=07`.
    pub partition: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// A lake ready for SQL. Cheap to keep around: every query lists the files again, so
/// files committed after [`Lake::open`] are seen by the next query.
#[derive(Clone)]
pub struct Lake {
    ctx: SessionContext,
    config: SessionConfig,
    runtime: Arc<RuntimeEnv>,
    table: Arc<dyn TableProvider>,
    products: Arc<dyn TableProvider>,
    store: Arc<dyn ObjectStore>,
    events_prefix: ObjectPath,
    root: String,
}

impl std::fmt::Debug for Lake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lake").field("root", &self.root).finish()
    }
}

impl Lake {
    /// Opens the lake at `root`: a folder, or `s3://bucket/prefix` (AWS settings from
    /// the standard environment, `AWS_ENDPOINT_URL` for a local S3-API server). Fails
    /// when the folder does not exist or there are no event files yet.
    pub async fn open(root: &str) -> Result<Self, AnalyticsError> {
        let spec = root
            .strip_prefix("lake:")
            .unwrap_or(root)
            .parse::<LakeSpec>()
            .map_err(|message| AnalyticsError::Open {
                path: root.to_owned(),
                message,
            })?;
        Self::open_spec(&spec).await
    }

    /// [`Lake::open`] for a parsed lake name.
    pub async fn open_spec(spec: &LakeSpec) -> Result<Self, AnalyticsError> {
        let lake = Self::open_allow_empty(spec).await?;
        if lake.files().await?.is_empty() {
            return Err(AnalyticsError::Empty { path: lake.root });
        }
        Ok(lake)
    }

    /// Opens the lake without requiring any event files (a lake being filled, as the
    /// dashboard watches it): queries then answer with no rows.
    pub async fn open_allow_empty(spec: &LakeSpec) -> Result<Self, AnalyticsError> {
        if let LakeSpec::Local(dir) = spec
            && !dir.is_dir()
        {
            return Err(AnalyticsError::NotFound {
                path: spec.to_string(),
            });
        }
        let store = spec
            .open(&AwsSettings::default())
            .await
            .map_err(|e| AnalyticsError::Open {
                path: spec.to_string(),
                message: e.to_string(),
            })?;
        Self::from_store(store)
    }

    /// Opens a lake's storage as the pipeline names it ([`LakeSpec::open`]
    /// builds one with explicit AWS settings). Like [`Lake::open_allow_empty`], an
    /// empty lake is fine.
    pub fn from_store(store: Store) -> Result<Self, AnalyticsError> {
        let root = store.describe();
        let open_err = |message: String| AnalyticsError::Open {
            path: root.clone(),
            message,
        };
        // The lake root's URL (no trailing slash): its tables are folders below it.
        let (base, store, events_prefix): (String, Arc<dyn ObjectStore>, ObjectPath) = match store {
            Store::Local(dir) => {
                let abs = std::path::absolute(dir).map_err(|e| open_err(e.to_string()))?;
                let events = abs.join("events");
                let prefix =
                    ObjectPath::from_absolute_path(&events).map_err(|e| open_err(e.to_string()))?;
                (
                    url_of(&abs).map_err(open_err)?,
                    Arc::new(object_store::local::LocalFileSystem::new()),
                    prefix,
                )
            }
            Store::Object { store, prefix, url } => {
                let events = prefix.join("events");
                (url.trim_end_matches('/').to_owned(), store, events)
            }
        };
        let url = format!("{base}/events/");
        let table_url = ListingTableUrl::parse(&url).map_err(|e| open_err(e.to_string()))?;
        // No cache of file listings: DataFusion's default keeps a listing forever, and
        // a lake grows while it is read (the dashboard refreshes its reports).
        let runtime = RuntimeEnvBuilder::new()
            .with_cache_manager(CacheManagerConfig::default().with_list_files_cache_limit(0))
            .build_arc()
            .map_err(|e| open_err(e.to_string()))?;
        runtime.register_object_store(table_url.object_store().as_ref(), store.clone());
        let config = SessionConfig::new().with_information_schema(true);

        let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
            .with_file_extension(".parquet")
            .with_table_partition_cols(vec![
                ("dt".to_owned(), DataType::Date32),
                ("hour".to_owned(), DataType::Int32),
            ]);
        let listing = ListingTableConfig::new(table_url)
            .with_listing_options(options)
            .with_schema(file_schema());
        let listing = ListingTable::try_new(listing).map_err(|e| open_err(e.to_string()))?;
        let table: Arc<dyn TableProvider> = Arc::new(EventsTable::new(listing));
        let products_url = ListingTableUrl::parse(format!("{base}/products/"))
            .map_err(|e| open_err(e.to_string()))?;
        let products = ListingTableConfig::new(products_url)
            .with_listing_options(
                ListingOptions::new(Arc::new(ParquetFormat::default()))
                    .with_file_extension(".parquet"),
            )
            .with_schema(viewed(csgen_pipeline::lake::dimensions::products_schema()));
        let products: Arc<dyn TableProvider> =
            Arc::new(ListingTable::try_new(products).map_err(|e| open_err(e.to_string()))?);

        let mut lake = Self {
            ctx: SessionContext::new(),
            config,
            runtime,
            table,
            products,
            store,
            events_prefix,
            root,
        };
        lake.ctx = lake.scoped(None)?;
        Ok(lake)
    }

    /// The lake as the user named it (`./lake`, `s3://bucket/prefix`), for messages.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// The DataFusion session with the table `events` registered.
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// A fresh session whose `events` holds only the partitions in `range` (all of
    /// them for `None`). The range is a filter on `dt`/`hour`, so the listing is pruned.
    pub fn scoped(&self, range: Option<&TimeRange>) -> Result<SessionContext, AnalyticsError> {
        let ctx = SessionContext::new_with_config_rt(self.config.clone(), self.runtime.clone());
        let table = match range.and_then(TimeRange::sql_predicate) {
            None => self.table.clone(),
            Some(predicate) => {
                let all = ctx.read_table(self.table.clone()).map_err(sql_err)?;
                let filter = all.parse_sql_expr(&predicate).map_err(sql_err)?;
                all.filter(filter).map_err(sql_err)?.into_view()
            }
        };
        ctx.register_table(TABLE, table).map_err(sql_err)?;
        ctx.register_table(PRODUCTS, self.products.clone())
            .map_err(sql_err)?;
        Ok(ctx)
    }

    /// Plans the read-only query `sql` against the lake. Errors here are the query's
    /// ([`AnalyticsError::Sql`], [`AnalyticsError::ReadOnly`]); running the returned
    /// frame reads the files.
    pub async fn sql(&self, sql: &str) -> Result<DataFrame, AnalyticsError> {
        crate::query::plan(&self.ctx, sql, crate::query::Access::ReadOnly).await
    }

    /// The committed event files, sorted by path: what a query over everything reads.
    pub async fn files(&self) -> Result<Vec<EventFile>, AnalyticsError> {
        let found: Vec<_> = self
            .store
            .list(Some(&self.events_prefix))
            .try_collect()
            .await
            .map_err(|e| AnalyticsError::Open {
                path: format!("{}/events", self.root),
                message: e.to_string(),
            })?;
        let skip = self.events_prefix.parts().count();
        let mut files: Vec<EventFile> = found
            .into_iter()
            .filter_map(|meta| {
                let parts: Vec<String> = meta
                    .location
                    .parts()
                    .skip(skip)
                    .map(|p| p.as_ref().to_owned())
                    .collect();
                match parts.as_slice() {
                    [dt, hour, name]
                        if dt.starts_with("dt=")
                            && hour.starts_with("hour=")
                            && name.ends_with(".parquet")
                            && !name.starts_with(['.', '_']) =>
                    {
                        Some(EventFile {
                            path: format!("events/{dt}/{hour}/{name}"),
                            partition: format!("{dt}/{hour}"),
                            bytes: meta.size,
                        })
                    }
                    _ => None,
                }
            })
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    /// The first and last day (`dt=`) of the committed event files, if there are any.
    pub async fn days(
        &self,
    ) -> Result<Option<(chrono::NaiveDate, chrono::NaiveDate)>, AnalyticsError> {
        let days = self.files().await?.into_iter().filter_map(|f| {
            let dt = f.partition.strip_prefix("dt=")?.split('/').next()?;
            dt.parse::<chrono::NaiveDate>().ok()
        });
        Ok(days.fold(None, |span, d| match span {
            None => Some((d, d)),
            Some((lo, hi)) => Some((d.min(lo), d.max(hi))),
        }))
    }

    /// Wraps a running query's failure with the lake it read.
    pub(crate) fn query_err(&self, e: impl std::fmt::Display) -> AnalyticsError {
        AnalyticsError::Query {
            path: self.root.clone(),
            message: e.to_string(),
        }
    }
}

/// The files' schema (the pipeline writer's), with strings read as Arrow's view
/// types, which DataFusion's string kernels are fastest on.
fn file_schema() -> SchemaRef {
    viewed(csgen_pipeline::lake::schema())
}

/// `writer` with its strings read as view types.
fn viewed(writer: SchemaRef) -> SchemaRef {
    let fields: Vec<Field> = writer
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Utf8 => f.as_ref().clone().with_data_type(DataType::Utf8View),
            _ => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new(fields))
}

fn url_of(dir: &Path) -> Result<String, String> {
    url::Url::from_directory_path(dir)
        .map(|u| u.as_str().trim_end_matches('/').to_owned())
        .map_err(|()| format!("{} is not an absolute path", dir.display()))
}

pub(crate) fn sql_err(e: impl std::fmt::Display) -> AnalyticsError {
    AnalyticsError::Sql {
        message: e.to_string(),
    }
}
