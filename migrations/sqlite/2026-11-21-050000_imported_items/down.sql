DROP TABLE imported_items;
