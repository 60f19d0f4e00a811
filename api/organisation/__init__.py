"""Streets/towns and communities of Baiyun district, and departments (a leaf domain)."""
