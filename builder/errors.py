"""The one error type users see: what happened, and what to do about it."""


class VmwheelError(Exception):
    """A failure explained in one line; `todo` says what the user should do next."""

    def __init__(self, what, todo=None, exit_code=1):
        super().__init__(what)
        self.what = what
        self.todo = todo
        self.exit_code = exit_code

    def line(self):
        if self.todo:
            return f"vmwheel: {self.what}; {self.todo}"
        return f"vmwheel: {self.what}"
