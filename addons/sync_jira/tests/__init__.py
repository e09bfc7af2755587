from . import test_jira
