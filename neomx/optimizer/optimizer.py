"""The Optimizer base class, the registry of optimizers and ``create``.

An optimizer holds the hyper-parameters (learning rate, weight decay, gradient rescaling and
clipping, per-parameter multipliers, a learning-rate schedule) and counts the updates of each
parameter; subclasses say how one parameter is updated (``create_state`` and ``update``), as
in MXNet 1.9.1, with the same attribute names so that pickled optimizers move between the two.
"""

from __future__ import annotations

import difflib
import inspect
import warnings

import numpy as np

from ..base import MXNetTypeError, MXNetValueError, env_flag
from ..ndarray import cast, zeros

__all__ = ["Optimizer", "register", "create", "flatten_list", "aggregation_size"]


def flatten_list(nested):
    """Concatenate a list of sequences into one list."""
    return [item for group in nested for item in group]


def aggregation_size(default: str) -> int:
    """How many parameters an aggregating optimizer updates per fused call
    (``MXNET_OPTIMIZER_AGGREGATION_SIZE``, read when the optimizer is created, as in MXNet)."""
    return int(env_flag("MXNET_OPTIMIZER_AGGREGATION_SIZE", default))


def _float16_warning(name: str) -> None:
    warnings.warn(
        "Accumulating with float16 in optimizer can lead to poor accuracy or slow "
        f"convergence. Consider using multi_precision=True option of the {name} optimizer",
        stacklevel=3,
    )


class Optimizer:
    """Base class of the optimizers: hyper-parameters, multipliers and update counts.

    Parameters
    ----------
    rescale_grad : float, default 1.0
        Multiply every gradient by this first (often ``1 / batch_size``).
    param_idx2name : dict of int to str, optional
        Parameter names by index; names not ending in ``_weight`` or ``_gamma`` get no
        weight decay unless ``set_wd_mult`` says otherwise.
    wd : float, default 0.0
        The weight decay (L2 regularisation) coefficient.
    clip_gradient : float, optional
        Clip the rescaled gradient to ``[-clip_gradient, clip_gradient]``.
    learning_rate : float, optional
        The learning rate; 0.01 when neither it nor ``lr_scheduler`` is given. Given together
        with a scheduler, it replaces the scheduler's ``base_lr``.
    lr_scheduler : LRScheduler, optional
        The learning rate as a function of the number of updates.
    sym : Symbol, optional
        Read ``__lr_mult__`` and ``__wd_mult__`` attributes of its arguments.
    begin_num_update : int, default 0
        The number of updates already done (when resuming).
    multi_precision : bool, default False
        Keep a float32 master copy of float16 weights and update that.
    param_dict : dict of int to gluon.Parameter, optional
        Parameters whose ``lr_mult`` and ``wd_mult`` override the multipliers set here.

    Examples
    --------
    >>> opt = mx.optimizer.create("sgd", learning_rate=0.1, momentum=0.9)
    >>> opt.learning_rate
    0.1
    """

    opt_registry: dict[str, type] = {}

    def __init__(
        self,
        rescale_grad=1.0,
        param_idx2name=None,
        wd=0.0,
        clip_gradient=None,
        learning_rate=None,
        lr_scheduler=None,
        sym=None,
        begin_num_update=0,
        multi_precision=False,
        param_dict=None,
    ):
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        if lr_scheduler is None and learning_rate is None:
            learning_rate = 0.01
        self.lr = learning_rate
        if lr_scheduler is not None and learning_rate is not None:
            if lr_scheduler.base_lr != learning_rate:
                # MXNet prints this warning (it does not go through warnings.warn).
                print(
                    UserWarning(
                        "learning rate from ``lr_scheduler`` has been overwritten by "
                        "``learning_rate`` in optimizer."
                    )
                )
                lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.lr_mult = {}
        self.wd_mult = {}
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        self._all_index_update_counts = {0: {}}
        self._index_update_count = self._all_index_update_counts[0]
        self.clip_gradient = clip_gradient
        self.multi_precision = multi_precision
        # How many parameters update_multi_precision takes per call from an Updater; 0: one.
        self.aggregate_num = 0
        if param_idx2name is None:
            param_idx2name = {}
        if not isinstance(param_idx2name, dict):
            raise MXNetTypeError(
                f"{type(self).__name__}: param_idx2name must be a dict of parameter indices "
                f"to names, got {type(param_idx2name).__name__}"
            )
        self.idx2name = param_idx2name.copy()
        self.sym_info = (sym.attr_dict(), sym.list_arguments()) if sym is not None else ()
        self.param_dict = param_dict if param_dict else {}
        self.allow_np_array = False
        self.set_lr_mult({})
        self.set_wd_mult({})

    # ---- the registry ------------------------------------------------------------------
    @staticmethod
    def register(klass):
        """Register an optimizer class under its lower-cased name (a class decorator).

        >>> @mx.optimizer.register
        ... class MyOptimizer(mx.optimizer.Optimizer):
        ...     pass
        >>> type(mx.optimizer.create("myoptimizer")).__name__
        'MyOptimizer'
        >>> del mx.optimizer.Optimizer.opt_registry["myoptimizer"]
        """
        if not isinstance(klass, type):
            raise MXNetTypeError(f"register: expected an Optimizer class, got {klass!r}")
        name = klass.__name__.lower()
        previous = Optimizer.opt_registry.get(name)
        if previous is not None and previous is not klass:
            warnings.warn(
                f"WARNING: New optimizer {klass.__module__}.{klass.__name__} is overriding "
                f"existing optimizer {previous.__module__}.{previous.__name__}",
                stacklevel=2,
            )
        Optimizer.opt_registry[name] = klass
        return klass

    @staticmethod
    def create_optimizer(name, **kwargs):
        """Return a new optimizer of the registered ``name`` (case-insensitive).

        >>> type(mx.optimizer.create("adam", learning_rate=0.1)).__name__
        'Adam'
        """
        klass = Optimizer.opt_registry.get(str(name).lower())
        if klass is None:
            known = sorted(Optimizer.opt_registry)
            close = difflib.get_close_matches(str(name).lower(), known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise MXNetValueError(
                f"Cannot find optimizer {name}{hint}; registered optimizers: {', '.join(known)}"
            )
        _check_keywords(klass, kwargs)
        return klass(**kwargs)

    # ---- learning rate -----------------------------------------------------------------
    @property
    def learning_rate(self):
        """The current learning rate (the scheduler's, if there is one)."""
        if self.lr_scheduler is not None:
            return self.lr_scheduler(self.num_update)
        return self.lr

    def set_learning_rate(self, lr):
        """Set the learning rate; not allowed when a scheduler sets it."""
        if self.lr_scheduler is not None:
            # MXNet raises (not warns) a UserWarning here.
            raise UserWarning(
                "LRScheduler of the optimizer has already been defined. Note that "
                "set_learning_rate can mutate the value of the learning rate of the optimizer "
                "only when the LRScheduler of the optimizer is undefined."
            )
        self.lr = lr

    def set_lr_scale(self, args_lrscale):
        """Deprecated in MXNet: use set_lr_mult."""
        raise DeprecationWarning("set_lr_scale is deprecated; use set_lr_mult")

    def set_lr_mult(self, args_lr_mult):
        """Set learning-rate multipliers by parameter name (or index).

        The ``__lr_mult__`` attributes of ``sym``'s arguments come first; ``args_lr_mult``
        replaces all earlier calls' values.
        """
        self.lr_mult = {}
        if self.sym_info:
            attr, arg_names = self.sym_info
            for name in arg_names:
                if name in attr and "__lr_mult__" in attr[name]:
                    self.lr_mult[name] = float(attr[name]["__lr_mult__"])
        self.lr_mult.update(args_lr_mult)

    def set_wd_mult(self, args_wd_mult):
        """Set weight-decay multipliers by parameter name (or index).

        Named parameters not ending in ``_weight`` or ``_gamma`` start at 0 (no decay for
        biases and batch-norm shifts); then ``sym``'s ``__wd_mult__`` attributes, then
        ``args_wd_mult``.
        """
        self.wd_mult = {}
        for name in self.idx2name.values():
            if not self._decays_by_default(name):
                self.wd_mult[name] = 0.0
        if self.sym_info:
            attr, arg_names = self.sym_info
            for name in arg_names:
                if name in attr and "__wd_mult__" in attr[name]:
                    self.wd_mult[name] = float(attr[name]["__wd_mult__"])
        self.wd_mult.update(args_wd_mult)

    @staticmethod
    def _decays_by_default(name: str) -> bool:
        return name.endswith("_weight") or name.endswith("_gamma")

    # ---- update counts and per-parameter rates -----------------------------------------
    def _set_current_context(self, device_id):
        """Count updates separately for each device (an Updater serves one device)."""
        if device_id not in self._all_index_update_counts:
            self._all_index_update_counts[device_id] = {}
        self._index_update_count = self._all_index_update_counts[device_id]

    def _update_count(self, index):
        """Count one more update of ``index`` (an index or a list of them)."""
        if not isinstance(index, (list, tuple)):
            index = [index]
        for idx in index:
            if idx not in self._index_update_count:
                self._index_update_count[idx] = self.begin_num_update
            self._index_update_count[idx] += 1
            self.num_update = max(self._index_update_count[idx], self.num_update)

    def _base_lr(self):
        if self.lr_scheduler is not None:
            return self.lr_scheduler(self.num_update)
        return self.lr

    def _get_lrs(self, indices):
        """The learning rates of the parameters ``indices``, multipliers applied."""
        lr = self._base_lr()
        return [lr * self._multiplier(index, "lr_mult", self.lr_mult) for index in indices]

    def _get_lr(self, index):
        return self._get_lrs([index])[0]

    def _get_wds(self, indices):
        """The weight decays of the parameters ``indices``, multipliers applied."""
        return [self.wd * self._multiplier(index, "wd_mult", self.wd_mult) for index in indices]

    def _get_wd(self, index):
        return self._get_wds([index])[0]

    def _multiplier(self, index, attribute, table):
        # Order as in MXNet: a Gluon Parameter's own multiplier, then the index, then the name.
        if index in self.param_dict:
            return getattr(self.param_dict[index], attribute)
        if index in table:
            return table[index]
        if index in self.idx2name:
            return table.get(self.idx2name[index], 1.0)
        return 1.0

    # ---- states and updates ------------------------------------------------------------
    def create_state(self, index, weight):
        """Return the state (None, an NDArray or a tuple of them) ``update`` keeps for
        ``weight``; called once per parameter."""
        return None

    def create_state_multi_precision(self, index, weight):
        """Return the state for ``weight``; with multi_precision and a float16 weight,
        ``(float32 master copy, state of the master copy)``."""
        if self.multi_precision and weight.dtype == np.float16:
            master = weight.astype(np.float32)
            return (master, self.create_state(index, master))
        if weight.dtype == np.float16 and not self.multi_precision:
            _float16_warning(type(self).__name__)
        return self.create_state(index, weight)

    def update(self, index, weight, grad, state):
        """Update ``weight`` in place from ``grad`` and ``state``."""
        raise NotImplementedError(f"{type(self).__name__} must define update")

    def update_multi_precision(self, index, weight, grad, state):
        """``update``, through the float32 master copy when there is one."""
        if self.multi_precision and weight.dtype == np.float16:
            master, original = state
            self.update(index, master, grad.astype(np.float32), original)
            cast(master, dtype=weight.dtype, out=weight)
        else:
            self.update(index, weight, grad, state)

    # ---- pickling ----------------------------------------------------------------------
    def __getstate__(self):
        state = self.__dict__.copy()
        # Gluon Parameters are not saved: the Trainer sets param_dict again after loading.
        state.pop("param_dict", None)
        return state

    def __setstate__(self, state):
        self.__dict__ = state
        self.param_dict = {}


def _check_keywords(klass, kwargs):
    """Raise a TypeError naming an unknown optimizer argument (and the closest known one).

    The accepted names are those of each ``__init__`` up the class hierarchy, as long as each
    passes ``**kwargs`` on to the next.
    """
    accepted = set()
    for cls in klass.__mro__:
        init = cls.__dict__.get("__init__")
        if init is None or cls is object:
            continue
        parameters = list(inspect.signature(init).parameters.values())[1:]
        accepted.update(
            p.name for p in parameters if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        )
        if not any(p.kind == p.VAR_KEYWORD for p in parameters):
            break
    for key in kwargs:
        if key not in accepted:
            close = difflib.get_close_matches(key, sorted(accepted), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise MXNetTypeError(
                f"{klass.__name__}: unknown argument '{key}'{hint}; it takes "
                f"{', '.join(sorted(accepted))}"
            )


register = Optimizer.register
create = Optimizer.create_optimizer


@register
class Test(Optimizer):
    """A trivial optimizer for tests: ``weight += rescale_grad * grad``, and the state keeps
    a copy of the weight."""

    def create_state(self, index, weight):
        return zeros(weight.shape, weight.context)

    def update(self, index, weight, grad, state):
        weight[:] += grad * self.rescale_grad
        state[:] = weight
