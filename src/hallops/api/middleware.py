"""The API's JSON error body for the answers under /api/ that come from outside the API's exception handlers.

A path that matches no route gets Django's HTML 404 page, and a method the path does not take gets
django-ninja's plain-text 405: under /api/ both become the API's {"code", "field", "message"} body.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.deprecation import MiddlewareMixin

API_PREFIX = "/api/"


class ApiErrorBodyMiddleware(MiddlewareMixin):
    """Rewrites a non-JSON 404 or 405 under /api/ as JSON, keeping the status and the Allow header."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if response.status_code not in (404, 405) or not request.path_info.startswith(API_PREFIX):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        if response.status_code == 404:
            body = {"code": "not_found", "field": None, "message": "no such API path"}
        else:
            allowed = response.get("Allow", "")
            body = {"code": "method_not_allowed", "field": None, "message": f"method not allowed; allowed: {allowed}"}
        answer = JsonResponse(body, status=response.status_code)
        if response.has_header("Allow"):
            answer["Allow"] = response["Allow"]
        return answer
