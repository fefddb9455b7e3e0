"""GET /api/v1/changes/: the change feed for mirrors (issue 4)."""

from rest_framework.views import APIView


class ChangesView(APIView):
    pass
