# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.
"""Random-forest workload classifier (scikit-learn), the default plugin.

The model is trained by ``kcloud-analyzer-train-classifier`` and stored in
``models_dir`` as ``workload_classifier-v<N>.skops``: a skops file, which
cannot run code when loaded (unlike a pickle). Only the types a forest is
made of are trusted when loading; anything else makes the file refused.

Besides the forest, the file holds the feature names, their means and
standard deviations and the mean of every feature in each class, and the
temperature and abstention threshold fitted on held-out sources
(:mod:`kcloud_analyzer.workload_analyzer.calibration`). The means explain a
decision: a feature counts for the predicted class by the
forest's importance of it times how far the workload's value lies from the
overall mean in the direction of that class's mean.
"""

import pathlib
import re
import warnings

import numpy as np
from oslo_log import log
from sklearn import ensemble

from kcloud_analyzer.workload_analyzer import calibration
from kcloud_analyzer.workload_analyzer.classifiers import base
from kcloud_analyzer.workload_analyzer import features as features_lib

LOG = log.getLogger(__name__)

MODEL_NAME = 'workload_classifier'
FILE_PATTERN = re.compile(r'^workload_classifier-v(\d+)\.skops$')

#: The only types a model file may contain besides plain containers and
#: numpy arrays (which skops trusts by default).
TRUSTED_TYPES = frozenset({
    'sklearn.tree._tree.Tree',
    'sklearn.tree._classes.DecisionTreeClassifier',
    'sklearn.ensemble._forest.RandomForestClassifier',
})


def model_file_name(version):
    return f'{MODEL_NAME}-v{int(version)}.skops'


def latest_model_file(models_dir):
    """The highest-versioned model file in ``models_dir``, or None."""
    folder = pathlib.Path(models_dir)
    if not folder.is_dir():
        return None
    versions = [(int(match.group(1)), path) for path in folder.iterdir()
                if (match := FILE_PATTERN.match(path.name))]
    return max(versions)[1] if versions else None


def fit(features, labels, seed=0, n_estimators=200, temperature=1.0,
        abstain_below=None):
    """Train a forest and return the bundle that :func:`save` stores.

    :param features: DataFrame with the columns of
        :data:`~kcloud_analyzer.workload_analyzer.features.MODEL_FEATURES`
        (NaN allowed); other columns are ignored.
    :param labels: array of class names, one per row.
    :param temperature: fitted on held-out sources, see
        :func:`~kcloud_analyzer.workload_analyzer.calibration.
        fit_temperature`.
    """
    names = [name for name in features.columns
             if name in features_lib.MODEL_FEATURES]
    features = features[names]
    values = features.to_numpy(dtype=float)
    labels = np.asarray(labels, dtype=object).astype(str)
    forest = ensemble.RandomForestClassifier(
        n_estimators=n_estimators, min_samples_leaf=2,
        class_weight='balanced', random_state=seed, n_jobs=-1)
    forest.fit(values, labels)
    _predict_on_one_thread(forest)
    with warnings.catch_warnings():
        # A feature no workload of a class has (e.g. the daily cycle of
        # short jobs) has no mean there; it then explains nothing.
        warnings.simplefilter('ignore', RuntimeWarning)
        mean = np.nanmean(values, axis=0)
        std = np.nanstd(values, axis=0)
        class_means = np.vstack([
            np.nanmean(values[labels == label], axis=0)
            if (labels == label).any() else np.full(len(names), np.nan)
            for label in forest.classes_])
    return {
        'estimator': forest,
        'feature_names': names,
        'classes': [str(label) for label in forest.classes_],
        'feature_mean': np.nan_to_num(mean),
        'feature_std': np.where(np.nan_to_num(std) > 0,
                                np.nan_to_num(std), 1.0),
        'class_means': np.nan_to_num(class_means),
        'temperature': float(temperature),
        'abstain_below': float(calibration.ABSTAIN_BELOW
                               if abstain_below is None else abstain_below),
    }


def _predict_on_one_thread(forest):
    """Trees are grown on every core, but a forest predicts on one thread.

    joblib's dispatch of the 200 trees over threads costs more than it
    saves for the batches the agent classifies: on two cores, 48 ms of CPU
    for 1,000 rows on one thread against 90 ms on all (and 40 ms against
    140 ms for 200 rows). The predictions are the same.
    """
    if getattr(forest, 'n_jobs', 1) != 1:
        forest.n_jobs = 1


def predict_proba(forest, values):
    """``forest.predict_proba(values)``, the same figures, tree by tree.

    scikit-learn predicts each tree through joblib, with validation and
    configuration around every one of the 200 trees: about 35 ms a call
    whatever the rows, which the agent pays for every batch. Here each
    tree's own predictions (missing values routed as the tree learnt)
    are added up in the order of the trees and divided by their number,
    as scikit-learn does: 6 ms for 200 rows, 14 ms for 1,000. Anything
    but a fitted single-output forest on the features it was fitted on
    goes to scikit-learn.
    """
    values = np.asarray(values)
    trees = getattr(forest, 'estimators_', None)
    if (not trees or getattr(forest, 'n_outputs_', None) != 1
            or values.ndim != 2
            or values.shape[1] != getattr(forest, 'n_features_in_', None)):
        return forest.predict_proba(values)
    rows = np.ascontiguousarray(values, dtype=np.float32)
    classes = len(forest.classes_)
    total = np.zeros((len(rows), classes))
    for tree in trees:
        total += tree.tree_.predict(rows)[:, :classes]
    total /= len(trees)
    return total


def save(bundle, path):
    import skops.io  # several seconds to import: only when needed

    skops.io.dump(bundle, str(path))


def load(path):
    """Load a bundle, refusing any type outside :data:`TRUSTED_TYPES`.

    :raises ModelUnavailable: the file is missing, unreadable, holds an
        untrusted type or is not a classifier bundle.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise base.ModelUnavailable(f'model file {path} does not exist')
    # skops takes several seconds to import (it lists scikit-learn's
    # types): only when there is a file to read.
    import skops.io
    from skops.io import exceptions as skops_exceptions

    try:
        # skops refuses, before building anything, a file holding a type
        # outside its defaults and this list.
        bundle = skops.io.load(str(path), trusted=sorted(TRUSTED_TYPES))
    except skops_exceptions.UntrustedTypesFoundException as exc:
        raise base.ModelUnavailable(
            f'model file {path} holds untrusted types: {exc}') from exc
    except Exception as exc:
        # skops raises many kinds of errors on a damaged file (zip, JSON,
        # attribute errors); all mean the same to the caller.
        raise base.ModelUnavailable(
            f'model file {path} cannot be loaded: {exc}') from exc
    required = ('estimator', 'feature_names', 'classes', 'feature_mean',
                'feature_std', 'class_means')
    if not isinstance(bundle, dict) or any(k not in bundle
                                           for k in required):
        raise base.ModelUnavailable(
            f'model file {path} is not a workload classifier model')
    _predict_on_one_thread(bundle['estimator'])
    stale = sorted(set(bundle['feature_names']) - set(features_lib.FEATURES))
    if stale:
        raise base.ModelUnavailable(
            f'model file {path} was trained on features no longer computed '
            f'({", ".join(stale)}); retrain it')
    return bundle


class RandomForestClassifier(base.WorkloadClassifier):
    """Classify with the newest trained forest in ``conf.models_dir``.

    :raises ModelUnavailable: when there is no usable model file; the
        loader in :mod:`.classifiers` then falls back to the rules.
    """

    name = 'random_forest'

    def __init__(self, conf, model_path=None):
        super().__init__(conf)
        if model_path is None:
            model_path = latest_model_file(conf.models_dir)
            if model_path is None:
                raise base.ModelUnavailable(
                    f'no {MODEL_NAME} model file in {conf.models_dir}; '
                    'train one with kcloud-analyzer-train-classifier')
        self.model_path = pathlib.Path(model_path)
        self._bundle = load(self.model_path)
        self.temperature = float(self._bundle.get('temperature', 1.0))
        self.abstain_below = float(self._bundle.get(
            'abstain_below', calibration.ABSTAIN_BELOW))

    @classmethod
    def from_bundle(cls, bundle):
        """A classifier around a bundle in memory (evaluation, tests)."""
        classifier = cls.__new__(cls)
        base.WorkloadClassifier.__init__(classifier, None)
        classifier.model_path = None
        classifier._bundle = bundle
        classifier.temperature = float(bundle.get('temperature', 1.0))
        classifier.abstain_below = float(bundle.get(
            'abstain_below', calibration.ABSTAIN_BELOW))
        return classifier

    def probabilities(self, features):
        return probabilities(self._bundle, features)


def probabilities(bundle, features):
    """Telemetry probabilities in the order of ``base.CLASSES`` and the
    deciding features of a bundle."""
    names = bundle['feature_names']
    values = features[names].to_numpy(dtype=float)
    forest = bundle['estimator']
    found = predict_proba(forest, values)
    probabilities = np.zeros((len(values), len(base.CLASSES)))
    for position, label in enumerate(bundle['classes']):
        probabilities[:, base.CLASSES.index(label)] = found[:, position]
    winner = np.argmax(found, axis=1) if len(values) else np.zeros(
        0, dtype=int)
    mean = bundle['feature_mean']
    std = bundle['feature_std']
    towards = (bundle['class_means'][winner] - mean) / std
    deviation = np.nan_to_num((values - mean) / std)
    support = np.maximum(deviation * towards, 0.0)
    scores = support * forest.feature_importances_[None, :]
    return probabilities, base.top_features(scores, names)
