"""A repository shaped like the public example registry (iterative/example-gto), which
keeps its annotations in dvc.yaml: the files, and the annotations gto reads from them."""

from __future__ import annotations

from gto.core.annotations import Annotation

ROOT_DVC_YAML = """\
stages:
  train:
    cmd: python train.py
artifacts:
  churn:
    type: model
    path: models/churn.pkl
    desc: Churn model
    labels: [tabular, prod-ready]
    meta:
      framework: sklearn
  segment:
    type: model
    path: s3://mycorp/proj-ml/segm-model-2022-04-15.pt
  cv-class:
    type: model
    path: s3://mycorp/proj-ml/classif-v2.pt
"""
SUB_DVC_YAML = """\
artifacts:
  clf:
    type: model
    path: clf.pt
    desc: Classifier in a sub-folder
"""
ARTIFACTS_YAML = """\
churn:
  type: dataset
  path: data/other.csv
  description: from artifacts.yaml
extra:
  type: model
  path: extra.pkl
"""

CHURN = Annotation(
    type="model",
    path="models/churn.pkl",
    labels=("tabular", "prod-ready"),
    description="Churn model",
    custom={"framework": "sklearn"},
)
SEGMENT = Annotation(type="model", path="s3://mycorp/proj-ml/segm-model-2022-04-15.pt")
CV_CLASS = Annotation(type="model", path="s3://mycorp/proj-ml/classif-v2.pt")
CLF = Annotation(type="model", path="sub/dir/clf.pt", description="Classifier in a sub-folder")
CHURN_FROM_INDEX = Annotation(
    type="dataset", path="data/other.csv", description="from artifacts.yaml"
)
EXTRA = Annotation(type="model", path="extra.pkl")
