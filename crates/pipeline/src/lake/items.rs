//! The `items` column of `events`: a purchase's order lines as
//! `List<Struct{product_id int64, quantity int32, price decimal(18,3)}>`, null on
//! every other row (and in lakes written before it, which read with nulls).
//!
//! Built from three flat value builders and the list offsets, assembled once per chunk:
//! no per-row downcasts through a generic struct builder.

use std::sync::{Arc, LazyLock};

use arrow_array::builder::NullBufferBuilder;
use arrow_array::builder::{ArrayBuilder as _, Decimal128Builder, Int32Builder, Int64Builder};
use arrow_array::{ArrayRef, ListArray, StructArray};
use arrow_buffer::{OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, FieldRef, Fields};

use super::columns::MONEY;
use crate::raw::RawItem;

static LINE: LazyLock<Fields> = LazyLock::new(|| {
    Fields::from(vec![
        Field::new("product_id", DataType::Int64, false),
        Field::new("quantity", DataType::Int32, false),
        Field::new("price", MONEY, false),
    ])
});

static ELEMENT: LazyLock<FieldRef> =
    LazyLock::new(|| Arc::new(Field::new("item", DataType::Struct(LINE.clone()), false)));

/// The column's type.
pub fn items_type() -> DataType {
    DataType::List(ELEMENT.clone())
}

/// The order lines of one chunk's rows.
pub struct ItemsBuilder {
    product_id: Int64Builder,
    quantity: Int32Builder,
    price: Decimal128Builder,
    /// One more than rows: where each row's lines start, then where the last ends.
    offsets: Vec<i32>,
    nulls: NullBufferBuilder,
}

impl ItemsBuilder {
    /// Room for `rows` rows; lines grow as purchases come.
    pub fn with_capacity(rows: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        Self {
            // Empty: most rows are not purchases (`new` would reserve 1024 lines).
            product_id: Int64Builder::with_capacity(0),
            quantity: Int32Builder::with_capacity(0),
            price: Decimal128Builder::with_capacity(0).with_data_type(MONEY),
            offsets,
            nulls: NullBufferBuilder::new(rows),
        }
    }

    /// Appends one row: its lines, or null.
    pub fn append(&mut self, items: Option<&[RawItem]>) {
        for i in items.unwrap_or_default() {
            self.product_id.append_value(i.product_id);
            self.quantity.append_value(i.quantity);
            self.price.append_value(i128::from(i.price.0));
        }
        self.nulls.append(items.is_some());
        // A chunk holds at most 1024 rows of at most MAX_ITEMS lines: far below i32.
        let end = i32::try_from(self.product_id.len()).unwrap_or(i32::MAX);
        self.offsets.push(end);
    }

    /// The column so far; the builder starts empty again. The arrays are consistent by
    /// construction (one offset per row, monotone; three equal-length value columns).
    pub fn finish(&mut self) -> ArrayRef {
        let values = StructArray::new(
            LINE.clone(),
            vec![
                Arc::new(self.product_id.finish()) as ArrayRef,
                Arc::new(self.quantity.finish()),
                Arc::new(self.price.finish()),
            ],
            None,
        );
        let offsets = std::mem::replace(&mut self.offsets, vec![0]);
        let list = ListArray::new(
            ELEMENT.clone(),
            OffsetBuffer::new(ScalarBuffer::from(offsets)),
            Arc::new(values),
            self.nulls.finish(),
        );
        Arc::new(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;
    use arrow_array::Array as _;
    use arrow_array::cast::AsArray as _;

    #[test]
    fn rows_keep_their_lines_and_nulls() {
        let line = |p, q, cents: i64| RawItem {
            product_id: p,
            quantity: q,
            price: Money(cents * 10),
        };
        let mut b = ItemsBuilder::with_capacity(4);
        b.append(None);
        b.append(Some(&[line(3, 2, 1599), line(4, 1, 50)]));
        b.append(Some(&[]));
        b.append(None);
        let a = b.finish();
        assert_eq!(a.data_type(), &items_type());
        let list = a.as_list::<i32>();
        assert_eq!(list.len(), 4);
        assert_eq!(
            (0..4).map(|i| list.is_null(i)).collect::<Vec<_>>(),
            [true, false, false, true]
        );
        assert_eq!(list.value_offsets(), [0, 0, 2, 2, 2]);
        let lines = list.value(1);
        let lines = lines.as_struct();
        let price = lines
            .column(2)
            .as_primitive::<arrow_array::types::Decimal128Type>();
        assert_eq!(price.values().to_vec(), [15_990, 500]);
        // Empty again, and reusable.
        b.append(Some(&[line(9, 1, 1)]));
        let again = b.finish();
        assert_eq!(again.as_list::<i32>().value_offsets(), [0, 1]);
    }
}
