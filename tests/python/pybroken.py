# A module that does not compile, for the spawn error test.
def broken(:
