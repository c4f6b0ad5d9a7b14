"""The fault suite: each test reproduces a way a real run was seen to fail
(a real page, a dying worker, a concurrent command, a full disk, a broken
file, a signal) and checks that the failure stays with what it belongs to."""
