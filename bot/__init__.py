"""newsbot: reads news, finds the deadlines and meetings it announces, and comes back when they arrive."""
