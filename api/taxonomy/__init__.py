"""GB/T 30428 事件 and 部件 classes with their 立案/结案 conditions and time limits, versioned (a leaf)."""
