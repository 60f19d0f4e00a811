"""The working calendar: China's holidays and 调休 as data, working hours, and deadline arithmetic (a leaf)."""
